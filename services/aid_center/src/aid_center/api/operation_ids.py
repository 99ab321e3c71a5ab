"""The aid center's operationIds where the route function's name does not read as the action
(service_runtime.openapi.operation_ids: every other route's is its name)."""

OPERATION_IDS: dict[str, str] = {
    "POST /lawyers/{lawyer_id}/leaves": "addLawyerLeave",
    "DELETE /lawyers/{lawyer_id}/leaves/{leave_id}": "cancelLawyerLeave",
    "POST /notices/{notice_id}/assignment": "assignLawyerToNotice",
    "POST /applications/{application_id}/assignment": "assignLawyerToApplication",
    "GET /assignments/overdue-meetings": "listOverdueMeetings",
    "POST /assignments/{assignment_id}/replacement": "replaceLawyer",
    "POST /assignments/{assignment_id}/quality-reviews": "recordQualityReview",
    "POST /work-stations": "addWorkStation",
    "GET /work-stations": "listWorkStations",
    "GET /work-stations/{station_id}": "getWorkStation",
    "POST /work-stations/{station_id}/shifts": "addDutyShifts",
    "GET /duty-rota": "getDutyRota",
    "DELETE /duty-shifts/{shift_id}": "deleteDutyShift",
    "GET /duty-requests": "listDutyRequests",
    "GET /duty-requests/{request_id}": "getDutyRequest",
    "POST /duty-requests/{request_id}/assignment": "retryDutyRequest",
}
