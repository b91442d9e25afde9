"""The bank's business days: China's working calendar (weekends, public holidays and the make-up
working days, 调休) from the maintained `chinesecalendar` package, which covers the years the State
Council has published. The simulator has to run loans for years ahead (two years of quarters in
seconds, season after season on one bank), so the PROJECTED_YEARS after the last published year are
projected, plainly: Monday to
Friday less the fixed-date holidays (New Year's Day, 1–3 May, 1–7 October); the lunar holidays and the
make-up days arrive with the publication (an update of chinesecalendar). A later date is refused
rather than guessed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROJECTED_YEARS = 30
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (5, 3), *((10, d) for d in range(1, 8))}


class CalendarUnknown(ValueError):
    """No published working calendar for this year yet: update chinesecalendar."""


def is_business_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        if 0 < day.year - _last_published_year() <= PROJECTED_YEARS:
            return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS
        raise CalendarUnknown(f"no working calendar for {day.year} yet (chinesecalendar "
                              f"{chinese_calendar.__version__}); update it") from exc


def _last_published_year() -> int:
    return max(d.year for d in chinese_calendar.holidays)


def next_business_day(day: date) -> date:
    """The first business day after `day`."""
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    for _ in range(count):
        day = next_business_day(day)
    return day


def business_day_on_or_after(day: date) -> date:
    return day if is_business_day(day) else next_business_day(day)


def today_in_shanghai() -> date:
    return datetime.now(SHANGHAI).date()
