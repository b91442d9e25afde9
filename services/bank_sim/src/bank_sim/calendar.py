"""The bank's business days: China's working calendar (weekends, public holidays and the make-up
working days, 调休) from the maintained `chinesecalendar` package, which covers the years the State
Council has published. A date outside them is refused rather than guessed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


class CalendarUnknown(ValueError):
    """No published working calendar for this year yet: update chinesecalendar."""


def is_business_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        raise CalendarUnknown(f"no working calendar for {day.year} yet (chinesecalendar "
                              f"{chinese_calendar.__version__}); update it") from exc


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
