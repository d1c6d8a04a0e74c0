//! Numbers, money and dates in words for text-to-speech, by language: the `money_ru`,
//! `number_en`, … template filters.

pub mod en;
pub mod ru;
