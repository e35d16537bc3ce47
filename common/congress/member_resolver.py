"""Resolve PTR filer names to bioguide ids: a general matcher, no name-to-id table.

Names are normalised (case, accents, punctuation, honorifics and suffixes, initials).
A candidate must match on last name (every token of it present in the filer's name);
then the first name, middle name or nickname counts most, the seat (state and
district; a senator's is the state) next, and a term in the chamber covering the date
last. No candidate, or a tie at the top: unresolved. One resolver per chamber: a House
filing names a representative, a Senate filing a senator.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import polars as pl

from common.congress.legislators import BEGINNING, OPEN_END

HONORIFICS = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "hon",
    "honorable",
    "rep",
    "jr",
    "sr",
    "ii",
    "iii",
    "iv",
    "md",
    "phd",
    "esq",
}


def tokens(name: str | None) -> list[str]:
    if not name:
        return []
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.split(r"[^a-z]+", ascii_name.lower().replace("'", ""))
    return [w for w in words if len(w) > 1 and w not in HONORIFICS]


@dataclass(frozen=True)
class Candidate:
    bioguide_id: str
    last: tuple[str, ...]
    given: frozenset[str]  # first, middle, nickname
    seats: frozenset[tuple[str, int | None]]
    terms: tuple[tuple[dt.date, dt.date], ...]


class MemberResolver:
    def __init__(self, terms: pl.DataFrame, chamber: str = "rep") -> None:
        served = terms.filter(pl.col("chamber") == chamber)
        self.by_last: dict[str, list[Candidate]] = {}
        for (bioguide,), rows in served.group_by("bioguide_id"):
            first = rows.row(0, named=True)
            cand = Candidate(
                bioguide_id=str(bioguide),
                last=tuple(tokens(first["last"])),
                given=frozenset(
                    t for k in ("first", "middle", "nickname") for t in tokens(first[k])
                ),
                seats=frozenset(zip(rows["state"], rows["district"], strict=True)),
                # A former member's placeholder span (no dates in the source) is no
                # evidence of serving on a given day: only real terms count.
                terms=tuple(
                    span
                    for span in zip(rows["start"], rows["end"], strict=True)
                    if span != (BEGINNING, OPEN_END)
                ),
            )
            if cand.last:
                self.by_last.setdefault(cand.last[-1], []).append(cand)

    def score(
        self,
        c: Candidate,
        words: set[str],
        state: str,
        district: int | None,
        on: dt.date | None,
    ) -> int:
        # The name outranks the seat: filers often give a stale seat (a district
        # renumbered since) or none, and a former member who held that seat under
        # another first name must not tie with the member named.
        score = 8 * bool(c.given & words)
        if (state, district) in c.seats:
            score += 4
        elif any(s == state for s, _ in c.seats):
            score += 2
        if on and any(start <= on <= end for start, end in c.terms):
            score += 1
        return score

    def resolve(
        self,
        name: str,
        state: str,
        district: int | None,
        on: dt.date | None = None,
        last: str | None = None,
    ) -> str | None:
        """`last`, when the filing gives it apart (Senate filings do): the candidate's
        last name must be in it, not merely anywhere in the name ("Thomas Tillis"
        does not name Senator Thomas)."""
        words = set(tokens(name))
        surname = set(tokens(last)) if last else words
        pool = [c for w in surname for c in self.by_last.get(w, [])]
        scored = sorted(
            (
                (self.score(c, words, state, district, on), c.bioguide_id)
                for c in set(pool)
                if set(c.last) <= surname
            ),
            reverse=True,
        )
        if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
            return None
        return scored[0][1]
