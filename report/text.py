"""Words and numbers of a report in az, ru or en: the ``report/locale`` catalog, numbers
with the language's decimal comma or point, dates, periods, and the center's own names."""

from __future__ import annotations

from datetime import date

from server.center import Center
from wire.i18n import catalog

from .periods import Period

DASH = "—"
"""Shown for a figure that has nothing to be computed from."""

_CATALOG = catalog("report")


class Words:
    """Everything a report writes, in one language."""

    def __init__(self, lang: str, center: Center) -> None:
        self.lang = lang
        self.center = center
        self._services = {s.code: s for s in center.all_services()}
        self._agencies = {a.code: a for a in center.agencies}
        self._operators = {o.login: o for o in center.operators}

    def __call__(self, key: str, /, **values: object) -> str:
        return _CATALOG.tr(key, self.lang, **values)

    # --- numbers --------------------------------------------------------------------------

    def num(self, value: float | None, digits: int = 1) -> str:
        """``12 345,6`` in az and ru, ``12,345.6`` in en; a dash for None."""
        if value is None:
            return DASH
        text = f"{value:,.{digits}f}"
        if self.lang == "en":
            return text
        # Azerbaijani and Russian: comma for decimals, a (non-breaking) space for thousands.
        return text.replace(",", "\u00a0").replace(".", ",")

    def count(self, value: int | None) -> str:
        return DASH if value is None else self.num(value, 0)

    def pct(self, share: float | None, digits: int = 1) -> str:
        return DASH if share is None else f"{self.num(100 * share, digits)}%"

    def standard(self) -> str:
        return self.num(self.center.rules.wait_standard_min, 0)

    # --- dates and periods ----------------------------------------------------------------

    def date(self, day: date) -> str:
        return self("date", d=day.day, m=day.month, y=day.year)

    def period(self, period: Period) -> str:
        if period.kind == "day":
            return self("period.day", date=self.date(period.first))
        if period.kind == "week":
            year, week, _ = period.first.isocalendar()
            first, last = self.date(period.first), self.date(period.last)
            return self("period.week", year=year, week=week, first=first, last=last)
        if period.kind == "month":
            return self("period.month", month=self(f"month.{period.first.month}"), year=period.first.year)
        return self("period.range", first=self.date(period.first), last=self.date(period.last))

    # --- the center's names ---------------------------------------------------------------

    def agency(self, code: str) -> str:
        agency = self._agencies.get(code)
        return agency.name.get(self.lang) if agency is not None else code

    def service(self, code: str) -> str:
        service = self._services.get(code)
        return service.name.get(self.lang) if service is not None else code

    def operator(self, login: str) -> str:
        if not login:
            return self("nobody")
        operator = self._operators.get(login)
        if operator is None or operator.full_name == login:
            return login
        return f"{login} ({operator.full_name})"

    def outcome(self, code: str) -> str:
        """How a visit ended, in this language: the center's name for it."""
        if not code:
            return self("outcome.none")
        found = next((o for o in self.center.outcomes if o.code == code), None)
        return found.name.get(self.lang) if found is not None else code

    def counter_agency(self, number: str) -> str:
        """The agency staffing counter ``number``, by name; empty if the configuration doesn't say."""
        try:
            code = self.center.agency_of_counter(int(number))
        except (KeyError, ValueError):
            return ""
        return self.agency(code) if code else ""

    def name(self, level: str, key: str) -> str:
        """What a row of ``level`` is called in this language."""
        if level == "center":
            return self.center.name.get(self.lang)
        if level == "agency":
            return self.agency(key)
        if level == "service":
            return self.service(key)
        if level == "counter":
            return self.counter_agency(key)
        if level == "operator":
            return self.operator(key)
        if level == "day":
            return self.date(date.fromisoformat(key))
        return key


class NationalWords(Words):
    """The words of the national report: names from every center's configuration; the
    "center" level is a center by its code, and the total is every center together."""

    def __init__(self, lang: str, centers: dict[str, Center], standard: float | None) -> None:
        first = next(iter(centers.values()))
        super().__init__(lang, first)
        self.centers = centers
        self.common_standard = standard
        for center in centers.values():
            for a in center.agencies:
                self._agencies.setdefault(a.code, a)
            for s in center.all_services():
                self._services.setdefault(s.code, s)

    def __call__(self, key: str, /, **values: object) -> str:
        # In the national report the whole ("center" level of a center's report) is the nation.
        return super().__call__("national.total" if key == "level.center" else key, **values)

    def standard(self) -> str:
        if self.common_standard is None:
            return self("national.own_standard")
        return self.num(self.common_standard, 0)

    def center_name(self, code: str) -> str:
        center = self.centers.get(code)
        return center.name.get(self.lang) if center is not None else code

    def name(self, level: str, key: str) -> str:
        if level == "center":
            return self.center_name(key) if key else self("national.total")
        if level in ("counter", "operator"):
            return key
        return super().name(level, key)
