"""The one interface between the quiz widgets and wherever answers are kept.

A widget calls :class:`Records`; behind it is either the in-process store
(:class:`LocalRecords`, the single-user default) or the hub's records service
(:class:`ServiceRecords`, a company deployment).  Either way the answer is judged by
:func:`judge_and_record`, never by the widget.
"""

from .interface import LastAnswer, Records, RecordsError, Verdict
from .judge import NotEnrolled, ResponseError, check_response, judge_and_record, judge_and_record_async
from .local import LocalRecords
from .remote import ServiceRecords
from .choose import default_records

__all__ = [
    "LastAnswer", "LocalRecords", "NotEnrolled", "Records", "RecordsError", "ResponseError", "ServiceRecords", "Verdict",
    "check_response", "default_records", "judge_and_record", "judge_and_record_async",
]
