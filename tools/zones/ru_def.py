#!/usr/bin/env python3
"""Build src/numbering/ru_def.tsv from the Russian DEF (mobile) numbering registry.

Input: DEF-9xx.csv as the Ministry of Digital Development publishes it
(';'-separated: DEF code; first; last; capacity; operator; region; GAR
territory; INN). Only the code, the range and the GAR territory column are read.

Method: every range gets the zones of its territory (REGION_ZONES below:
federal subject -> tz database zone, tzdata 2025b). For each DEF code the
number space is cut into prefixes down to single numbers where needed; a
prefix whose ranges all have the same zones gets those zones, and a block
that mixes zones is split further. The prefix tree is then compressed: a row
is written only where the zones differ from the enclosing prefix, choosing
the fewest rows that give every allocated number its own zones. Unallocated
numbers get whatever encloses them (or the +7 country row).

Usage: python3 tools/zones/ru_def.py DEF-9xx.csv 2026-04 src/numbering/ru_def.tsv
Output is deterministic for a given input.
"""
import csv
import sys

# ---- federal subject -> zones -------------------------------------------
# Keys are the region names as the registry's "Территория ГАР" column spells them.
MOSCOW = "Europe/Moscow"
SAKHA = ["Asia/Yakutsk", "Asia/Khandyga", "Asia/Ust-Nera", "Asia/Srednekolymsk"]
RUSSIA_ALL = [
    "Europe/Kaliningrad", "Europe/Moscow", "Europe/Simferopol", "Europe/Kirov",
    "Europe/Volgograd", "Europe/Astrakhan", "Europe/Saratov", "Europe/Ulyanovsk",
    "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk", "Asia/Novosibirsk",
    "Asia/Barnaul", "Asia/Tomsk", "Asia/Novokuznetsk", "Asia/Krasnoyarsk",
    "Asia/Irkutsk", "Asia/Chita", "Asia/Yakutsk", "Asia/Khandyga",
    "Asia/Vladivostok", "Asia/Ust-Nera", "Asia/Magadan", "Asia/Sakhalin",
    "Asia/Srednekolymsk", "Asia/Kamchatka", "Asia/Anadyr",
]
REGION_ZONES = {
    # UTC+2
    "Калининградская область": ["Europe/Kaliningrad"],
    # UTC+3, Moscow time
    "Город Москва": [MOSCOW], "Московская область": [MOSCOW],
    "Город Санкт-Петербург": [MOSCOW], "Ленинградская область": [MOSCOW],
    "Республика Адыгея": [MOSCOW], "Архангельская область": [MOSCOW],
    "Ненецкий автономный округ": [MOSCOW], "Белгородская область": [MOSCOW],
    "Брянская область": [MOSCOW], "Владимирская область": [MOSCOW],
    "Вологодская область": [MOSCOW], "Воронежская область": [MOSCOW],
    "Ивановская область": [MOSCOW], "Калужская область": [MOSCOW],
    "Республика Карелия": [MOSCOW], "Республика Коми": [MOSCOW],
    "Костромская область": [MOSCOW], "Краснодарский край": [MOSCOW],
    "Курская область": [MOSCOW], "Липецкая область": [MOSCOW],
    "Республика Марий Эл": [MOSCOW], "Республика Мордовия": [MOSCOW],
    "Мурманская область": [MOSCOW], "Нижегородская область": [MOSCOW],
    "Новгородская область": [MOSCOW], "Орловская область": [MOSCOW],
    "Пензенская область": [MOSCOW], "Псковская область": [MOSCOW],
    "Ростовская область": [MOSCOW], "Рязанская область": [MOSCOW],
    "Смоленская область": [MOSCOW], "Тамбовская область": [MOSCOW],
    "Тверская область": [MOSCOW], "Тульская область": [MOSCOW],
    "Ярославская область": [MOSCOW], "Республика Татарстан": [MOSCOW],
    "Чувашская Республика - Чувашия": [MOSCOW], "Республика Дагестан": [MOSCOW],
    "Республика Ингушетия": [MOSCOW], "Кабардино-Балкарская Республика": [MOSCOW],
    "Карачаево-Черкесская Республика": [MOSCOW],
    "Республика Северная Осетия - Алания": [MOSCOW], "Чеченская Республика": [MOSCOW],
    "Ставропольский край": [MOSCOW], "Республика Калмыкия": [MOSCOW],
    # Regions with their own tz-database zone, UTC+3
    "Кировская область": ["Europe/Kirov"],
    "Волгоградская область": ["Europe/Volgograd"],
    "Республика Крым": ["Europe/Simferopol"], "Город Севастополь": ["Europe/Simferopol"],
    # Numbers the registry lists for these four regions are used on Moscow time;
    # the tz database has no zone of their own (see docs/zones.md).
    "Донецкая Народная Республика": [MOSCOW], "Луганская Народная Республика": [MOSCOW],
    "Запорожская область": [MOSCOW], "Херсонская область": [MOSCOW],
    # UTC+4
    "Астраханская область": ["Europe/Astrakhan"],
    "Саратовская область": ["Europe/Saratov"],
    "Ульяновская область": ["Europe/Ulyanovsk"],
    "Самарская область": ["Europe/Samara"], "Удмуртская Республика": ["Europe/Samara"],
    # UTC+5
    "Республика Башкортостан": ["Asia/Yekaterinburg"], "Курганская область": ["Asia/Yekaterinburg"],
    "Оренбургская область": ["Asia/Yekaterinburg"], "Пермский край": ["Asia/Yekaterinburg"],
    "Свердловская область": ["Asia/Yekaterinburg"], "Тюменская область": ["Asia/Yekaterinburg"],
    "Ханты-Мансийский автономный округ - Югра": ["Asia/Yekaterinburg"],
    "Ямало-Ненецкий автономный округ": ["Asia/Yekaterinburg"],
    "Челябинская область": ["Asia/Yekaterinburg"],
    # UTC+6
    "Омская область": ["Asia/Omsk"],
    # UTC+7
    "Новосибирская область": ["Asia/Novosibirsk"],
    "Алтайский край": ["Asia/Barnaul"], "Республика Алтай": ["Asia/Barnaul"],
    "Томская область": ["Asia/Tomsk"],
    "Кемеровская область - Кузбасс": ["Asia/Novokuznetsk"],
    "Красноярский край": ["Asia/Krasnoyarsk"], "Республика Хакасия": ["Asia/Krasnoyarsk"],
    "Республика Тыва": ["Asia/Krasnoyarsk"],
    # UTC+8
    "Иркутская область": ["Asia/Irkutsk"], "Республика Бурятия": ["Asia/Irkutsk"],
    # UTC+9
    "Забайкальский край": ["Asia/Chita"], "Амурская область": ["Asia/Yakutsk"],
    # Sakha spans UTC+9 (Yakutsk, Khandyga), +10 (Ust-Nera) and +11 (Srednekolymsk)
    "Республика Саха (Якутия)": SAKHA,
    # UTC+10
    "Приморский край": ["Asia/Vladivostok"], "Хабаровский край": ["Asia/Vladivostok"],
    "Еврейская автономная область": ["Asia/Vladivostok"],
    # UTC+11
    "Сахалинская область": ["Asia/Sakhalin"], "Магаданская область": ["Asia/Magadan"],
    # UTC+12
    "Камчатский край": ["Asia/Kamchatka"], "Чукотский автономный округ": ["Asia/Anadyr"],
    # Nation-wide allocations (satellite, M2M, federal bodies)
    "Российская Федерация": RUSSIA_ALL,
}

def zones_for_gar(text):
    """Zones of one registry row's territory column (may name several regions)."""
    text = text.strip()
    if "|" in text:
        text = text.split("|")[-1]  # 'г. Норильск|...|Красноярский край' -> the subject
    out = []
    for part in text.split(", "):
        part = part.strip()
        if part not in REGION_ZONES:
            raise KeyError(part)
        for z in REGION_ZONES[part]:
            if z not in out:
                out.append(z)
    return out

EN = {
    "Калининградская область": "Kaliningrad", "Город Москва": "Moscow", "Московская область": "Moscow Oblast",
    "Город Санкт-Петербург": "St Petersburg", "Ленинградская область": "Leningrad Oblast",
    "Республика Адыгея": "Adygea", "Архангельская область": "Arkhangelsk", "Ненецкий автономный округ": "Nenets AO",
    "Белгородская область": "Belgorod", "Брянская область": "Bryansk", "Владимирская область": "Vladimir",
    "Вологодская область": "Vologda", "Воронежская область": "Voronezh", "Ивановская область": "Ivanovo",
    "Калужская область": "Kaluga", "Республика Карелия": "Karelia", "Республика Коми": "Komi",
    "Костромская область": "Kostroma", "Краснодарский край": "Krasnodar", "Курская область": "Kursk",
    "Липецкая область": "Lipetsk", "Республика Марий Эл": "Mari El", "Республика Мордовия": "Mordovia",
    "Мурманская область": "Murmansk", "Нижегородская область": "Nizhny Novgorod", "Новгородская область": "Novgorod",
    "Орловская область": "Oryol", "Пензенская область": "Penza", "Псковская область": "Pskov",
    "Ростовская область": "Rostov", "Рязанская область": "Ryazan", "Смоленская область": "Smolensk",
    "Тамбовская область": "Tambov", "Тверская область": "Tver", "Тульская область": "Tula",
    "Ярославская область": "Yaroslavl", "Республика Татарстан": "Tatarstan", "Чувашская Республика - Чувашия": "Chuvashia",
    "Республика Дагестан": "Dagestan", "Республика Ингушетия": "Ingushetia", "Кабардино-Балкарская Республика": "Kabardino-Balkaria",
    "Карачаево-Черкесская Республика": "Karachay-Cherkessia", "Республика Северная Осетия - Алания": "North Ossetia",
    "Чеченская Республика": "Chechnya", "Ставропольский край": "Stavropol", "Республика Калмыкия": "Kalmykia",
    "Кировская область": "Kirov", "Волгоградская область": "Volgograd", "Республика Крым": "Crimea",
    "Город Севастополь": "Sevastopol", "Донецкая Народная Республика": "Donetsk (DPR)", "Луганская Народная Республика": "Luhansk (LPR)",
    "Запорожская область": "Zaporizhzhia", "Херсонская область": "Kherson", "Астраханская область": "Astrakhan",
    "Саратовская область": "Saratov", "Ульяновская область": "Ulyanovsk", "Самарская область": "Samara",
    "Удмуртская Республика": "Udmurtia", "Республика Башкортостан": "Bashkortostan", "Курганская область": "Kurgan",
    "Оренбургская область": "Orenburg", "Пермский край": "Perm", "Свердловская область": "Sverdlovsk",
    "Тюменская область": "Tyumen", "Ханты-Мансийский автономный округ - Югра": "Khanty-Mansi AO",
    "Ямало-Ненецкий автономный округ": "Yamalo-Nenets AO", "Челябинская область": "Chelyabinsk", "Омская область": "Omsk",
    "Новосибирская область": "Novosibirsk", "Алтайский край": "Altai Krai", "Республика Алтай": "Altai Republic",
    "Томская область": "Tomsk", "Кемеровская область - Кузбасс": "Kemerovo", "Красноярский край": "Krasnoyarsk",
    "Республика Хакасия": "Khakassia", "Республика Тыва": "Tuva", "Иркутская область": "Irkutsk",
    "Республика Бурятия": "Buryatia", "Забайкальский край": "Zabaykalsky", "Амурская область": "Amur",
    "Республика Саха (Якутия)": "Sakha (Yakutia)", "Приморский край": "Primorsky", "Хабаровский край": "Khabarovsk",
    "Еврейская автономная область": "Jewish AO", "Сахалинская область": "Sakhalin", "Магаданская область": "Magadan",
    "Камчатский край": "Kamchatka", "Чукотский автономный округ": "Chukotka", "Российская Федерация": "all Russia",
}
assert set(EN) == set(REGION_ZONES), set(REGION_ZONES) ^ set(EN)

def names_for_gar(text):
    text = text.strip()
    if "|" in text:
        text = text.split("|")[-1]
    return [EN[p.strip()] for p in text.split(", ")]


# ---- ranges -> prefixes -------------------------------------------------

ORDER = {z: i for i, z in enumerate(RUSSIA_ALL)}

def label(zones):
    return tuple(sorted(set(zones), key=lambda z: ORDER[z]))

def load(path):
    by_def = {}
    with open(path, encoding="utf-8-sig") as f:
        rows = list(csv.reader(f, delimiter=";"))
    head = rows[0]
    assert head[0].startswith("АВС") and head[1] == "От" and head[2] == "До", head
    for r in rows[1:]:
        if not r or not r[0].strip():
            continue
        code, lo, hi = r[0].strip(), int(r[1]), int(r[2])
        assert len(code) == 3 and code.startswith("9") and 0 <= lo <= hi <= 9999999, r
        by_def.setdefault(code, []).append((lo, hi, label(zones_for_gar(r[6])), tuple(names_for_gar(r[6]))))
    for v in by_def.values():
        v.sort()
    return by_def

def build(ranges, maxd):
    """Return rows [(suffix_digits, label)] for one DEF code."""
    def labels_in(lo, hi):
        s = set()
        for a, b, l, _n in ranges:
            if a <= hi and b >= lo:
                s.add(l)
        return s

    memo = {}
    def node(suffix):
        d = len(suffix)
        span = 10 ** (7 - d)
        lo = int(suffix) * span if suffix else 0
        hi = lo + span - 1
        ls = labels_in(lo, hi)
        if len(ls) == 0:
            return ("u", None)
        if len(ls) == 1:
            return ("u", next(iter(ls)))
        if d == maxd:
            return ("u", label([z for l in ls for z in l]))
        return ("m", [ (suffix + str(c), node(suffix + str(c))) for c in range(10)])

    def cost(suffix, n, inherited):
        key = (suffix, inherited)
        if key in memo:
            return memo[key]
        kind, val = n
        if kind == "u":
            res = (0, []) if val is None or val == inherited else (1, [(suffix, val)])
        else:
            # option a: write nothing here
            best = None
            tot, rows = 0, []
            for cs, cn in val:
                c, r = cost(cs, cn, inherited)
                tot += c; rows += r
            best = (tot, rows)
            cands = set()
            for cs, cn in val:
                if cn[0] == "u" and cn[1] is not None:
                    cands.add(cn[1])
            for m in sorted(cands):
                if m == inherited:
                    continue
                tot, rows = 1, [(suffix, m)]
                for cs, cn in val:
                    c, r = cost(cs, cn, m)
                    tot += c; rows += r
                if tot < best[0]:
                    best = (tot, rows)
            res = best
        memo[key] = res
        return res

    root = node("")
    return cost("", root, None)[1]

def regions_for(ranges, suffix, lab):
    span = 10 ** (7 - len(suffix))
    lo = int(suffix) * span if suffix else 0
    hi = lo + span - 1
    names = []
    for a, b, l, n in ranges:
        if a <= hi and b >= lo and (l == lab or len(lab) > 1 and set(l) <= set(lab)):
            for x in n:
                if x not in names:
                    names.append(x)
    if len(names) > 4:
        names = names[:4] + [f"+{len(names) - 4} more"]
    return ", ".join(names)

HEADER = """\
# outcall built-in table, Russian mobile (DEF 9xx) ranges. Same format as builtin.tsv.
# Generated by tools/zones/ru_def.py from the Russian numbering registry extract
# DEF-9xx.csv (Ministry of Digital Development open data; copy of {date}): each
# range's federal subject mapped to its tz zone, then cut into prefixes; a row is
# written only where the zones change from the enclosing prefix. Several zones:
# the range is allotted to a territory that spans them (Sakha) or to all of Russia.
# Do not edit by hand: change the script or its region table and run it again.
"""

if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: ru_def.py DEF-9xx.csv REGISTRY-DATE OUT.tsv")
    src, date, dst = sys.argv[1:]
    data = load(src)
    total = multi = 0
    out = []
    for code in sorted(data):
        rows = build(data[code], 7)
        total += len(rows)
        multi += sum(1 for _, l in rows if len(l) > 1)
        for s, l in rows:
            out.append(f"7{code}{s}\tarea\t{','.join(l)}\tDEF {code}: {regions_for(data[code], s, l)}")
    with open(dst, "w", encoding="utf-8") as f:
        f.write(HEADER.format(date=date))
        f.write("\n".join(out) + "\n")
    print(f"{dst}: {total} rows, {multi} with several zones", file=sys.stderr)
