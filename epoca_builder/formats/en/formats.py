"""Dates as the pages write them, for what Django formats itself (the admin's lists and read-only
fields, ``|date`` without a format): UTC ISO 8601 (TIME_ZONE is UTC)."""

DATETIME_FORMAT = r"Y-m-d\TH:i:s\Z"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i:s"
