"""Realistic personal data to plant in inputs: valid checksums and formats, so detectors have real work to do."""

from __future__ import annotations

import random
import string

from agenthone.sample._grammar import compile_template, render
from agenthone.sample._vocab import BRANDS, FIRST_NAMES, LAST_NAMES, SLOTS

__all__ = ["PII_TYPES", "iban_valid", "luhn_valid", "pii_sentence", "pii_value"]

PII_TYPES: tuple[str, ...] = (
    "EMAIL",
    "PHONE",
    "CREDIT_CARD",
    "US_SSN",
    "IP_ADDRESS",
    "IBAN",
    "URL",
    "SECRET",
)
_WEIGHTS = (0.24, 0.18, 0.12, 0.08, 0.1, 0.08, 0.1, 0.1)

_ALNUM = string.ascii_letters + string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_MAIL_DOMAINS = (
    "gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com", "hotmail.co.uk", "web.de", "gmx.net",
    "fastmail.com", "mail.com",
)  # fmt: skip
_US_AREAS = (
    "212", "415", "312", "617", "206", "512", "303", "404", "305", "702", "646", "718", "213", "773", "971",
    "503", "614", "919", "480", "615", "801", "216", "412", "313",
)  # fmt: skip


def _d(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice(string.digits) for _ in range(n))


def _names(rnd: random.Random) -> tuple[str, str]:
    return rnd.choice(FIRST_NAMES).lower(), rnd.choice(LAST_NAMES).lower()


def _email(rnd: random.Random) -> str:
    first, last = _names(rnd)
    local = rnd.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}", f"{last}.{first}"))
    if rnd.random() < 0.4:
        local += str(rnd.randint(1, 99))
    return f"{local}@{rnd.choice(_MAIL_DOMAINS)}"


def _phone(rnd: random.Random) -> str:
    if rnd.random() < 0.55:
        area, exchange, line = rnd.choice(_US_AREAS), f"{rnd.randint(2, 9)}{_d(rnd, 2)}", _d(rnd, 4)
        return rnd.choice(
            (f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}", f"+1 {area} {exchange} {line}",
             f"{area}.{exchange}.{line}", f"+1-{area}-{exchange}-{line}")
        )  # fmt: skip
    return rnd.choice(
        (
            f"+44 20 7{_d(rnd, 3)} {_d(rnd, 4)}",
            f"+44 7{rnd.randint(400, 999)} {_d(rnd, 6)}",
            f"+49 30 {_d(rnd, 8)}",
            f"+49 15{rnd.randint(1, 9)} {_d(rnd, 8)}",
            f"+33 6 {_d(rnd, 2)} {_d(rnd, 2)} {_d(rnd, 2)} {_d(rnd, 2)}",
            f"+91 9{_d(rnd, 4)} {_d(rnd, 5)}",
            f"+61 4{_d(rnd, 2)} {_d(rnd, 3)} {_d(rnd, 3)}",
            f"+55 11 9{_d(rnd, 4)}-{_d(rnd, 4)}",
            f"+81 3-{_d(rnd, 4)}-{_d(rnd, 4)}",
            f"+34 6{_d(rnd, 2)} {_d(rnd, 3)} {_d(rnd, 3)}",
        )
    )


def luhn_valid(number: str) -> bool:
    """Whether a digit string passes the Luhn check (separators ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return bool(digits) and total % 10 == 0


def _card(rnd: random.Random) -> str:
    prefix = rnd.choice(("4", "4", "4", "51", "52", "53", "54", "55", "6011"))
    body = prefix + _d(rnd, 15 - len(prefix))
    check = next(c for c in string.digits if luhn_valid(body + c))
    number = body + check
    style = rnd.random()
    if style < 0.4:
        return number
    sep = " " if style < 0.75 else "-"
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def _ssn(rnd: random.Random) -> str:
    area = rnd.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rnd.randint(1, 99):02d}-{rnd.randint(1, 9999):04d}"


def _ip(rnd: random.Random) -> str:
    while True:
        first = rnd.randint(11, 223)
        if first not in (127, 169, 172, 192):
            break
    return f"{first}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"


def _iban_check(country: str, bban: str) -> str:
    text = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in text)
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    """Whether an IBAN's check digits are right (spaces ignored)."""
    compact = iban.replace(" ", "").upper()
    if len(compact) < 15 or not compact[:2].isalpha():
        return False
    text = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in text)) % 97 == 1


def _iban(rnd: random.Random) -> str:
    letters = string.ascii_uppercase
    country, bban = rnd.choice(
        (
            ("DE", _d(rnd, 18)),
            ("GB", "".join(rnd.choice(letters) for _ in range(4)) + _d(rnd, 14)),
            ("FR", _d(rnd, 10) + "".join(rnd.choice(_UPPER_ALNUM) for _ in range(11)) + _d(rnd, 2)),
            ("NL", "".join(rnd.choice(letters) for _ in range(4)) + _d(rnd, 10)),
            ("ES", _d(rnd, 20)),
            ("IT", rnd.choice(letters) + _d(rnd, 10) + "".join(rnd.choice(_UPPER_ALNUM) for _ in range(12))),
        )
    )
    iban = country + _iban_check(country, bban) + bban
    if rnd.random() < 0.35:
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


def _url(rnd: random.Random) -> str:
    first, last = _names(rnd)
    brand = rnd.choice(BRANDS).lower()
    return rnd.choice(
        (
            f"https://www.linkedin.com/in/{first}-{last}-{rnd.randrange(16**6):06x}",
            f"https://github.com/{first}{last}{rnd.randint(1, 99)}",
            f"https://www.facebook.com/{first}.{last}.{rnd.randint(100, 9999)}",
            f"https://portal.{brand}shop.com/customers/{first}-{last}/orders",
            f"https://{brand}-crm.com/contacts?name={first.title()}+{last.title()}&dob=19{rnd.randint(55, 99)}-"
            f"{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            f"https://drive.{brand}cloud.com/u/{first}.{last}/tax-return-{rnd.randint(2019, 2025)}.pdf",
        )
    )


def _secret(rnd: random.Random) -> str:
    kind = rnd.random()
    if kind < 0.4:
        return "sk-" + "".join(rnd.choice(_ALNUM) for _ in range(48))
    if kind < 0.7:
        return "AKIA" + "".join(rnd.choice(_UPPER_ALNUM) for _ in range(16))
    return "ghp_" + "".join(rnd.choice(_ALNUM) for _ in range(36))


_MAKERS = {
    "EMAIL": _email,
    "PHONE": _phone,
    "CREDIT_CARD": _card,
    "US_SSN": _ssn,
    "IP_ADDRESS": _ip,
    "IBAN": _iban,
    "URL": _url,
    "SECRET": _secret,
}

# every value is followed by more words, never by a full stop, so detectors see a clean boundary
_SENTENCES = {
    "EMAIL": (
        "[You can reach me|Contact me|Write to me] at {v} [if anything is unclear|with the details|any time].",
        "[My|Our] [email|contact address] is {v} [for the invoice|in case you need it|on the account].",
    ),
    "PHONE": (
        "[Call|Text] me on {v} [after 5 pm|if that is easier|any weekday].",
        "[My|The] [phone number|mobile number] on the account is {v} [by the way|if it helps].",
    ),
    "CREDIT_CARD": (
        "[I paid with|The charge was on] [my card|the card] {v} [and it was billed twice|last week].",
        "[The card on file|My card number] is {v} [if you need to check the payment|for the replacement order].",
    ),
    "US_SSN": (
        "[My SSN is|The form asked for my SSN, which is] {v} [if you need it for verification|for the tax form].",
    ),
    "IP_ADDRESS": (
        "[The failing requests come from|Our office IP is|The affected server is at] {v} "
        "[if you need to allowlist it|according to our logs|in case it matters].",
    ),
    "IBAN": (
        "[Please send the refund to|My IBAN is|Wire the money to] {v} [instead of the card|at my bank|as before].",
    ),
    "URL": ("[My profile is at|See my account page at|The details are on] {v} [if that helps|for reference|as well].",),
    "SECRET": (
        "[I pasted our key|Our API key is|We use the key] {v} [in the config|in the script|for the integration], "
        "[is that a problem|could that be the issue|in case it matters]?",
    ),
}
_COMPILED = {k: tuple(compile_template(t) for t in v) for k, v in _SENTENCES.items()}


def pii_value(rnd: random.Random, pii_type: str | None = None) -> tuple[str, str]:
    """(type, value) of one piece of personal data; the type is drawn when not given."""
    if pii_type is None:
        pii_type = rnd.choices(PII_TYPES, _WEIGHTS)[0]
    return pii_type, _MAKERS[pii_type](rnd)


def pii_sentence(rnd: random.Random, pii_type: str, value: str) -> str:
    """A natural sentence carrying ``value`` verbatim."""
    bank = _COMPILED[pii_type]
    return render(bank[int(rnd.random() * len(bank))], {"v": value}, rnd, SLOTS)
