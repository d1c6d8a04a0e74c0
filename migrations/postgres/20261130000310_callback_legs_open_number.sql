-- One live call per number across campaign attempts and callback legs (issue 14): the store looks
-- up open legs by number in the transaction that writes an attempt or a leg (store::in_call).
CREATE INDEX callback_legs_open_number ON callback_legs (number) WHERE ended_at IS NULL;
