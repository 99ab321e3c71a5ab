"""The aid center's operation descriptions, by ``"METHOD /path"``, where the route itself gives
none (service_runtime.openapi: a route's own ``description`` or docstring wins). The roster,
notices, applications, work stations and duty requests are for aid center staff; a lawyer
reads and logs the work of their own assignments only."""

DESCRIPTIONS: dict[str, str] = {
    "GET /firms": "The law firms on the center's roster.",
    "POST /firms": (
        "Adds a law firm to the roster; its lawyers are added with `POST /lawyers`. A firm of "
        "the same name is a 409."
    ),
    "GET /firms/{firm_id}": "One law firm of the roster.",
    "POST /lawyers": (
        "Adds a lawyer of a firm on the roster, with the capacity the assignment engine "
        "respects (`max_concurrent_cases`) and what the lawyer is suited for. An unknown firm "
        "is a 400; a licence number already on the roster a 409."
    ),
    "GET /lawyers": (
        "The lawyers on the roster, each with the number of active assignments the engine "
        "weighs when it spreads load."
    ),
    "GET /lawyers/{lawyer_id}": "One lawyer, with the caseload and the leave periods recorded.",
    "PATCH /lawyers/{lawyer_id}": (
        "Changes a lawyer's details (only the members sent); a lawyer made inactive receives no "
        "new assignment and keeps the current ones."
    ),
    "POST /lawyers/{lawyer_id}/leaves": (
        "Records a leave period; the engine assigns the lawyer nothing that falls in it. A "
        "period that ends before it starts is a 400."
    ),
    "DELETE /lawyers/{lawyer_id}/leaves/{leave_id}": "Cancels a recorded leave period.",
    "PUT /suspects/{suspect_id}/previous-stage-lawyer": (
        "Records the lawyer the center appointed for the suspect in the previous stage, whom "
        "the engine prefers for continuity (Art. 13) if still on the roster and available."
    ),
    "GET /notices": (
        "The notice-of-defense letters received from the procuratorate, with their state and "
        "the last day to assign (3 days from receipt); filter by status, e.g. `unassignable`."
    ),
    "GET /notices/{notice_id}": (
        "One notice-of-defense letter: what it carries, the completeness check, and the "
        "assignment made for it."
    ),
    "GET /applications": (
        "Applications for legal aid the procuratorate forwarded for suspects outside the "
        "mandatory scope, with their state."
    ),
    "GET /applications/{application_id}": "One forwarded application for legal aid.",
    "GET /assignments": ("The appointments made (active and ended); a lawyer sees their own only."),
    "GET /assignments/overdue-meetings": (
        "Active assignments whose lawyer has not logged a meeting with the suspect the given "
        "number of days after the assignment: the cases a supervisor follows up."
    ),
    "GET /assignments/{assignment_id}": (
        "One appointment: the suspect, the lawyer and firm, how it was chosen, and how it ended."
    ),
    "POST /assignments/{assignment_id}/replacement": (
        "Replaces the appointed lawyer with another (the engine's choice or staff's), for the "
        "reasons the Measures allow (`LawyerReplaced`); the procuratorate's projection shows "
        "the new defender."
    ),
    "POST /assignments/{assignment_id}/activities": (
        "Logs the lawyer's work on the case (a meeting, a file review, an investigation, a "
        "written opinion) with its date (`LawyerActivityLogged`)."
    ),
    "GET /assignments/{assignment_id}/activities": "The work logged on one appointment, in order.",
    "POST /assignments/{assignment_id}/quality-reviews": (
        "Records a quality review of the lawyer's service against the service-standard "
        "checklist (`QualityReviewRecorded`)."
    ),
    "GET /assignments/{assignment_id}/quality-reviews": "The quality reviews of one appointment.",
    "POST /work-stations": (
        "Adds a legal aid work station (法律援助工作站) at a procuratorate, where duty lawyers "
        "serve."
    ),
    "GET /work-stations": "The center's work stations.",
    "GET /work-stations/{station_id}": "One work station.",
    "GET /duty-rota": (
        "The duty-lawyer shifts between two days (a single day by default), optionally of one "
        "station or one lawyer. A period that ends before it starts is a 400."
    ),
    "DELETE /duty-shifts/{shift_id}": (
        "Takes a shift off the rota; once a duty request was answered from it, a 409."
    ),
    "GET /duty-requests": (
        "The procuratorate's requests for a duty lawyer, each with the lawyer assigned from the "
        "rota or why none was."
    ),
    "GET /duty-requests/{request_id}": "One duty-lawyer request.",
    "POST /duty-requests/{request_id}/assignment": (
        "Answers an unassigned duty request again from today's rota, after staff completed it "
        "(`DutyLawyerAssigned`); a request already answered is a 409."
    ),
}
