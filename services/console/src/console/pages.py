"""The console's pages. Each reads or writes through one service's API with the signed-in user's token, so
the services decide what a role and region may see and do; a refusal is shown with the reason they give.
Every form that writes carries an Idempotency-Key made when the form was drawn: sent twice, it acts once."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path as FilePath
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from console import decisions, i18n
from console.backend import ApiError, Backend
from console.charts import Bar, bar_chart
from console.session import COOKIE, InvalidToken, SignInRequired, User, signed_in, signed_in_or_none, user_of

TEMPLATES = FilePath(__file__).parent / "templates"
CODE = r"^[a-z0-9][a-z0-9._-]*$"  # a campaign or programme code, as the services take it
MAYBE_CODE = r"^([a-z0-9][a-z0-9._-]*)?$"  # a filter left empty is no filter
MAYBE_UUID = r"^([0-9a-fA-F-]{36})?$"
CHINA = timezone(timedelta(hours=8))
PROGRAMMES = ("winter-warmth", "autumn-education-aid", "living-relief", "serious-illness-relief", "summer-cooling")
CASE_STATUSES = ("eligible", "ineligible", "approved", "rejected", "withdrawn")
PAYMENT_STATUSES = ("waiting", "instructed", "settled", "failed", "returned")
TONES = {"waiting": "warn", "instructed": "primary", "settled": "good", "failed": "bad", "returned": "bad"}
NAV: dict[str, list[tuple[str, str]]] = {
    "caseworker": [("nav.import", "/imports/new"), ("nav.cases", "/cases"), ("nav.cooling", "/cooling"),
                   ("nav.funds", "/funds")],
    "approver": [("nav.approvals", "/cases?status=eligible"), ("nav.cases", "/cases"), ("nav.funds", "/funds")],
    "finance": [("nav.budgets", "/budgets"), ("nav.reconciliation", "/reconciliation"), ("nav.funds", "/funds"),
                ("nav.cooling", "/cooling")],
    "auditor": [("nav.findings", "/findings"), ("nav.cases", "/cases"), ("nav.budgets", "/budgets"),
                ("nav.reconciliation", "/reconciliation"), ("nav.funds", "/funds"), ("nav.cooling", "/cooling")],
    "admin": [("nav.findings", "/findings"), ("nav.cases", "/cases"), ("nav.funds", "/funds"),
              ("nav.cooling", "/cooling")],
}

router = APIRouter()
templates = Jinja2Templates(directory=TEMPLATES)


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"¥{fen / 100:,.2f}"


def when(iso: str | None) -> str:
    """An ISO timestamp as Beijing time, to the minute."""
    if not iso:
        return "—"
    try:
        return datetime.fromisoformat(str(iso)).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(iso)


def plain(value: Any) -> str:
    """An event's field as text: a list joined, a bilingual reason {"zh", "en"} as "zh（en）"."""
    if isinstance(value, dict):
        return f"{value['zh']}（{value['en']}）" if {"zh", "en"} <= value.keys() else \
            "，".join(f"{k}: {plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(plain(v) for v in value)
    return "—" if value is None else str(value)


templates.env.filters["yuan"] = yuan
templates.env.filters["plain"] = plain
templates.env.filters["when"] = when
templates.env.globals["known"] = i18n.MESSAGES


def backend(request: Request, user: User = Depends(signed_in)) -> Backend:
    return Backend(request.app.state.http, request.app.state.settings, user.token)


Api = Depends(backend)


def code_filter() -> Any:
    return Query(None, pattern=MAYBE_CODE, max_length=64)


def page(request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = i18n.language(request)
    user = signed_in_or_none(request)
    notice = request.query_params.get("notice")
    switch = {other: (str(request.url.include_query_params(lang=other)) if request.method == "GET" else f"/?lang={other}")
              for other in i18n.LANGS}
    nav = [("nav.home", "/"), *NAV.get(user.role, [])] if user else []
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    current = next((href for _, href in nav if href == here), None) or next(
        (href for _, href in nav if href == request.url.path), None)
    return templates.TemplateResponse(request, name, {
        "t": i18n.translator(lang), "lang": lang, "user": user, "switch": switch, "nav": nav, "current": current,
        "notice": notice if f"notice.{notice}" in i18n.MESSAGES else None, **context}, status_code=status_code)


def see_other(path: str, **params: Any) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def segment(value: str) -> str:
    return quote(value, safe="")


def form_key() -> str:
    return str(uuid.uuid4())


def _t(request: Request, key: str) -> str:
    return i18n.translator(i18n.language(request))(key)


def to_fen(text: str) -> int | None:
    """Yuan as typed ("1,200.5") in fen, or None when it is not a positive amount with at most two decimals."""
    try:
        amount = Decimal(text.replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        return None
    fen = amount * 100
    return int(fen) if amount > 0 and fen == fen.to_integral_value() else None


# --- signing in and out -----------------------------------------------------------------------------------------

@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/signin", response_class=HTMLResponse)
async def sign_in_form(request: Request, next_page: str = Query("/", alias="next")) -> HTMLResponse:
    return page(request, "signin.html", next=next_page, error=None)


@router.post("/signin")
async def sign_in(request: Request, token: str = Form(..., max_length=20000),
                  next_page: str = Form("/", alias="next")) -> Response:
    try:
        user = user_of(token)
    except InvalidToken as exc:
        return page(request, "signin.html", status_code=422, next=next_page, error=str(exc))
    here = next_page.startswith("/") and not next_page.startswith(("//", "/\\"))  # never off to another site
    response = see_other(next_page if here else "/")
    max_age = int(user.expires_at - time.time()) if user.expires_at else None
    response.set_cookie(COOKIE, user.token, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies)
    return response


@router.post("/signout")
async def sign_out() -> Response:
    response = see_other("/signin")
    response.delete_cookie(COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, user: User = Depends(signed_in)) -> HTMLResponse:
    return page(request, "home.html")


# --- caseworkers: imports, the case queue, a case ---------------------------------------------------------------

@router.get("/imports/new", response_class=HTMLResponse)
async def import_form(request: Request, user: User = Depends(signed_in)) -> HTMLResponse:
    return page(request, "import_new.html", form={"kind": "campaign", "year": date.today().year}, error=None,
                programmes=PROGRAMMES)


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 20):
        yield chunk


@router.post("/imports")
async def import_list(request: Request, kind: str = Form("campaign", pattern="^(campaign|hardship|members)$"),
                      campaign: str = Form(""), programme: str = Form(""), year: str = Form(""),
                      file: UploadFile | None = File(None), api: Backend = Api) -> Response:
    """A campaign list, hardship roster or member roster, streamed to eligibility as the request body."""
    form = {"kind": kind, "campaign": campaign, "programme": programme, "year": year}

    def refused(error: str, errors: list[dict[str, Any]] | None = None) -> HTMLResponse:
        return page(request, "import_new.html", status_code=422, form=form, error=error, errors=errors or [],
                    programmes=PROGRAMMES)

    if kind == "campaign" and not (campaign and programme and year.isdigit()):
        return refused(_t(request, "import.needs_campaign"))
    if file is None or not file.filename:
        return refused(_t(request, "import.needs_file"))
    filename = FilePath(file.filename).name[:200]
    if kind == "campaign":
        path, params = f"/campaigns/{segment(campaign)}/imports", {"programme": programme, "year": year,
                                                                   "filename": filename}
    else:
        path, params = ("/hardship-files/imports" if kind == "hardship" else "/members/imports"), {"filename": filename}
    try:
        status, record = await api.upload("eligibility", path, params=params, content=_chunks(file))
    except ApiError as exc:
        if exc.status in (413, 422):
            return refused(exc.detail, exc.errors)
        raise
    return see_other(f"/imports/{record['import_id']}", notice="imported" if status == 201 else "imported_before")


@router.get("/imports/{import_id}", response_class=HTMLResponse)
async def show_import(request: Request, import_id: uuid.UUID, api: Backend = Api) -> HTMLResponse:
    record = await api.get("eligibility", f"/imports/{import_id}")
    not_taken = record["rejected"] + record.get("already_registered", 0)
    return page(request, "import.html", record=record, not_taken=not_taken)


@router.get("/imports/{import_id}/errors.csv")
async def import_errors(import_id: uuid.UUID, api: Backend = Api) -> Response:
    answer = await api.raw("eligibility", f"/imports/{import_id}/errors.csv")
    return Response(answer.content, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'})


@router.get("/cases", response_class=HTMLResponse)
async def case_queue(request: Request, programme: str | None = code_filter(), campaign: str | None = code_filter(),
                     status: str | None = Query(None, pattern="^(eligible|ineligible|approved|rejected|withdrawn)?$"),
                     import_id: str | None = Query(None, pattern=MAYBE_UUID), after: uuid.UUID | None = None,
                     user: User = Depends(signed_in), api: Backend = Api) -> HTMLResponse:
    filters = {"programme": programme, "campaign": campaign, "status": status, "import_id": import_id}
    answer = await api.get("eligibility", "/cases", params={**filters, "after": after,
                                                            "limit": request.app.state.settings.page_size})
    can_approve = user.role == "approver" and status == "eligible" and bool(campaign)
    next_page = (f"/cases?{urlencode({k: v for k, v in filters.items() if v} | {'after': answer['next_after']})}"
                 if answer["next_after"] else None)
    first_page = f"/cases?{urlencode({k: v for k, v in filters.items() if v})}" if after else None
    return page(request, "cases.html", cases=_with_decisions(user, answer["cases"]), filters=filters,
                can_approve=can_approve, next_page=next_page, first_page=first_page, statuses=CASE_STATUSES, programmes=PROGRAMMES,
                key=form_key())


@router.post("/cases/search", response_class=HTMLResponse)
async def search_cases(request: Request, q: str = Form(..., min_length=1, max_length=64),
                       user: User = Depends(signed_in), api: Backend = Api) -> HTMLResponse:
    """A case id or a national ID, posted so the ID stays out of URLs; eligibility turns an ID into the member
    reference it registered and answers with that member's cases."""
    cases, error = [], None
    try:
        answer = await api.post("eligibility", "/cases/search", body={"q": q.strip(),
                                                                     "limit": request.app.state.settings.page_size})
        cases = _with_decisions(user, answer["cases"])
    except ApiError as exc:
        if exc.status != 422:
            raise
        error = exc.detail
    return page(request, "cases.html", status_code=422 if error else 200, cases=cases, searched=True,
                search_error=error, filters={"programme": None, "campaign": None, "status": None, "import_id": None},
                can_approve=False, next_page=None, first_page=None, statuses=CASE_STATUSES, programmes=PROGRAMMES,
                key=form_key())


def _with_decisions(user: User, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each queue row with the reason, if any, maker-checker keeps the user from approving it."""
    return [{**c, "blocked": decisions.decision(user, c).approve} for c in cases]


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def show_case(request: Request, case_id: uuid.UUID, user: User = Depends(signed_in),
                    api: Backend = Api) -> HTMLResponse:
    return await _case_page(request, case_id, user, api)


async def _case_page(request: Request, case_id: uuid.UUID, user: User, api: Backend, *, refused: str | None = None,
                     refusal: ApiError | None = None, status_code: int = 200) -> HTMLResponse:
    """The case, and the forms its state allows the user: decide (approvers), appeal or correct the payee
    (caseworkers), each with its own Idempotency-Key (the page's, suffixed with the action); `refusal` is the
    API's answer to the form `refused` just sent, shown beside that form."""
    case = await api.get("eligibility", f"/cases/{case_id}")
    shown = {"action", "by", "at"}
    history = [{**h, "detail": {k: v for k, v in h.items() if k not in shown}} for h in case["history"]]
    errors = [{"field": _field(e), "reason": e.get("reason") or e.get("msg") or ""} for e in refusal.errors] \
        if refusal else []
    detail = (_t(request, "case.fix_fields") if errors else refusal.detail) if refusal else None
    return page(request, "case.html", status_code=status_code, case=case, history=history,
                allowed=decisions.decision(user, case), may_appeal=decisions.may_appeal(user, case),
                may_correct_payee=decisions.may_correct_payee(user, case), key=form_key(),
                refused=refused, refusal=detail, refusal_errors=errors)


def _field(error: dict[str, Any]) -> str:
    """A field the API named, as a form label: the services' "body.payee_account" or FastAPI's location list."""
    loc = error.get("loc")
    name = str(loc[-1]) if isinstance(loc, list) and loc else str(error.get("field") or "").rpartition(".")[2]
    return {"payee_account": "case.new_account", "payee_name": "case.new_name", "reason": "decide.reason",
            "grounds": "appeal.grounds"}.get(name, name)


async def _act(request: Request, case_id: uuid.UUID, user: User, api: Backend, path: str, body: Any, key: str,
               notice: str) -> Response:
    """One of the case page's forms sent to eligibility: back to the case with a notice, or the case again with
    the API's refusal (403, 404, 409, 422) shown readably beside the forms."""
    try:
        await api.post("eligibility", f"/cases/{case_id}/{path}", body=body, key=key)
    except ApiError as exc:
        if exc.status not in (403, 404, 409, 422):
            raise
        return await _case_page(request, case_id, user, api, refused=path, refusal=exc, status_code=exc.status)
    return see_other(f"/cases/{case_id}", notice=notice)


@router.post("/cases/{case_id}/approve")
async def approve_case(request: Request, case_id: uuid.UUID, key: str = Form(..., min_length=1, max_length=200),
                       user: User = Depends(signed_in), api: Backend = Api) -> Response:
    return await _act(request, case_id, user, api, "approve", None, key, "case_approved")


@router.post("/cases/{case_id}/reject")
async def reject_case(request: Request, case_id: uuid.UUID, reason: str = Form(..., min_length=1, max_length=500),
                      key: str = Form(..., min_length=1, max_length=200), user: User = Depends(signed_in),
                      api: Backend = Api) -> Response:
    return await _act(request, case_id, user, api, "reject", {"reason": reason}, key, "case_rejected")


@router.post("/cases/{case_id}/appeal")
async def appeal_case(request: Request, case_id: uuid.UUID, grounds: str = Form(..., min_length=1, max_length=2000),
                      key: str = Form(..., min_length=1, max_length=200), user: User = Depends(signed_in),
                      api: Backend = Api) -> Response:
    return await _act(request, case_id, user, api, "appeals", {"grounds": grounds}, key, "case_appealed")


@router.post("/cases/{case_id}/payee")
async def correct_payee(request: Request, case_id: uuid.UUID, payee_name: str = Form(..., max_length=100),
                        payee_account: str = Form(..., max_length=60),
                        key: str = Form(..., min_length=1, max_length=200), user: User = Depends(signed_in),
                        api: Backend = Api) -> Response:
    body = {"payee_name": payee_name.strip(), "payee_account": "".join(payee_account.split())}
    return await _act(request, case_id, user, api, "payee", body, key, "payee_corrected")


# --- approvers ---------------------------------------------------------------------------------------------------

@router.post("/approvals", response_class=HTMLResponse)
async def approve(request: Request, campaign: str = Form(..., pattern=CODE, max_length=64),
                  case_ids: list[uuid.UUID] = Form([]), key: str = Form(..., min_length=1, max_length=200),
                  import_id: str = Form(""), api: Backend = Api) -> Response:
    """A reviewed selection approved in one request; the answer says what happened to each case."""
    if not case_ids:
        return see_other("/cases", campaign=campaign, status="eligible", import_id=import_id, notice="none_selected")
    answer = await api.post("eligibility", f"/campaigns/{segment(campaign)}/approvals",
                            body={"case_ids": [str(i) for i in case_ids]}, key=key)
    back = "/cases?" + urlencode({k: v for k, v in {"campaign": campaign, "status": "eligible",
                                                     "import_id": import_id}.items() if v})
    return page(request, "approvals.html", answer=answer, campaign=campaign, back=back)


# --- finance: budgets and payments, reconciliation, the loans fund --------------------------------------------

@router.get("/budgets", response_class=HTMLResponse)
async def budgets(request: Request, campaign: str | None = code_filter(), api: Backend = Api) -> HTMLResponse:
    return await _budget_page(request, campaign, api)


async def _budget_page(request: Request, campaign: str | None, api: Backend, *, error: str | None = None,
                       status_code: int = 200) -> HTMLResponse:
    """A campaign's budget, its payments by status and the queue waiting for it; or the form to create it."""
    t = i18n.translator(i18n.language(request))
    budget, queue, charts = None, None, []
    if campaign:
        try:
            budget = await api.get("disbursement", f"/budgets/{segment(campaign)}")
        except ApiError as exc:
            if exc.status != 404:
                raise
    if campaign and budget:
        queue = await api.get("disbursement", f"/campaigns/{segment(campaign)}/queue")
        charts = budget_charts(budget, t)
    return page(request, "budgets.html", status_code=status_code, campaign=campaign, budget=budget, queue=queue,
                charts=charts, programmes=PROGRAMMES, key=form_key(), error=error)


def budget_charts(budget: dict[str, Any], t: i18n.Translator) -> list[Any]:
    used = bar_chart(t("budget.used_chart"), [
        Bar(t("budget.total"), budget["total_fen"], yuan(budget["total_fen"]), "muted"),
        Bar(t("budget.paid"), budget["paid_fen"], yuan(budget["paid_fen"]), "good"),
        Bar(t("budget.reserved"), budget["reserved_fen"], yuan(budget["reserved_fen"]), "warn"),
        Bar(t("budget.available"), budget["available_fen"], yuan(budget["available_fen"]), "primary"),
    ], maximum=budget["total_fen"])
    counts = budget.get("payments") or {}
    order = [s for s in PAYMENT_STATUSES if s in counts] + sorted(set(counts) - set(PAYMENT_STATUSES))
    by_status = bar_chart(t("budget.payments_chart"), [
        Bar(t(f"status.{s}") if f"status.{s}" in i18n.MESSAGES else s, counts[s]["payments"],
            f"{counts[s]['payments']} · {yuan(counts[s]['amount_fen'])}", TONES.get(s, "primary")) for s in order])
    return [used, by_status]


@router.post("/budgets")
async def create_budget(request: Request, campaign: str = Form(..., pattern=CODE, max_length=64),
                        programme: str = Form(..., pattern=CODE, max_length=64), total_yuan: str = Form(...),
                        key: str = Form(..., min_length=1, max_length=200), api: Backend = Api) -> Response:
    total = to_fen(total_yuan)
    if total is None:
        return await _budget_page(request, campaign, api, error=_t(request, "money.invalid"), status_code=422)
    await api.post("disbursement", "/budgets", body={"campaign": campaign, "programme": programme,
                                                     "total_fen": total}, key=key)
    return see_other("/budgets", campaign=campaign, notice="budget_created")


@router.post("/budgets/{campaign}/top-ups")
async def top_up(request: Request, campaign: str = Path(pattern=CODE, max_length=64), amount_yuan: str = Form(...),
                 key: str = Form(..., min_length=1, max_length=200), api: Backend = Api) -> Response:
    amount = to_fen(amount_yuan)
    if amount is None:
        return await _budget_page(request, campaign, api, error=_t(request, "money.invalid"), status_code=422)
    await api.post("disbursement", f"/budgets/{segment(campaign)}/top-ups", body={"amount_fen": amount}, key=key)
    return see_other("/budgets", campaign=campaign, notice="topped_up")


@router.get("/reconciliation", response_class=HTMLResponse)
async def reconciliation(request: Request, day: date | None = None, api: Backend = Api) -> HTMLResponse:
    t = i18n.translator(i18n.language(request))
    try:
        report = await api.get("reconciliation", f"/days/{day.isoformat()}" if day else "/days/latest")
    except ApiError as exc:
        if exc.status != 404:
            raise
        return page(request, "reconciliation.html", report=None, day=day, chart=None, key=None)
    classes = report["classes"]
    chart = bar_chart(t("recon.chart"), [
        Bar(name, c["items"], f"{c['items']} · {yuan(c['amount_fen'])}", "bad" if c["open"] else "good")
        for name, c in sorted(classes.items())])
    return page(request, "reconciliation.html", report=report, day=day, chart=chart, key=form_key())


@router.post("/reconciliation/{day}/close")
async def sign_off(day: date, reason: str = Form(..., min_length=1, max_length=1000),
                   key: str = Form(..., min_length=1, max_length=200), api: Backend = Api) -> Response:
    await api.post("reconciliation", f"/days/{day.isoformat()}/close", body={"reason": reason}, key=key)
    return see_other("/reconciliation", day=day.isoformat(), notice="signed_off")


@router.get("/funds", response_class=HTMLResponse)
async def fund(request: Request, campaign: str | None = code_filter(), api: Backend = Api) -> HTMLResponse:
    t = i18n.translator(i18n.language(request))
    found = await api.get("loans", f"/funds/{segment(campaign)}") if campaign else None
    chart = bar_chart(t("funds.chart"), [
        Bar(t("funds.total"), found["total_fen"], yuan(found["total_fen"]), "muted"),
        Bar(t("funds.spent"), found["spent_fen"], yuan(found["spent_fen"]), "good"),
        Bar(t("funds.reserved"), found["reserved_fen"], yuan(found["reserved_fen"]), "warn"),
        Bar(t("funds.available"), found["available_fen"], yuan(found["available_fen"]), "primary"),
    ], maximum=found["total_fen"]) if found else None
    return page(request, "funds.html", campaign=campaign, fund=found, chart=chart)


# --- summer cooling, auditors ------------------------------------------------------------------------------------

@router.get("/cooling", response_class=HTMLResponse)
async def cooling(request: Request, campaign: str | None = code_filter(), api: Backend = Api) -> HTMLResponse:
    t = i18n.translator(i18n.language(request))
    report = await api.get("cooling", f"/campaigns/{segment(campaign)}/report") if campaign else None
    chart = None
    if report:
        for site in report["sites"]:
            site["coverage"] = round(100 * site["reached"] / site["registered"], 1) if site["registered"] else 0.0
        chart = bar_chart(t("cooling.chart"), [
            Bar(s["name"], s["coverage"], f"{s['coverage']} % ({s['reached']}/{s['registered']})",
                "good" if s["coverage"] >= 90 else "warn" if s["coverage"] >= 50 else "bad")
            for s in report["sites"]], maximum=100)
    return page(request, "cooling.html", campaign=campaign, report=report, chart=chart)


@router.get("/findings", response_class=HTMLResponse)
async def findings(request: Request, campaign: str | None = code_filter(), api: Backend = Api) -> HTMLResponse:
    answer = await api.get("audit", "/findings", params={"campaign": campaign, "limit": 500})
    for finding in answer["findings"]:
        kind, _, subject_id = str(finding["subject"]).partition(":")
        finding["case_id"] = subject_id if kind == "case" else None
    return page(request, "findings.html", campaign=campaign, findings=answer["findings"])


@router.get("/case", include_in_schema=False)
async def find_case(case_id: uuid.UUID, user: User = Depends(signed_in)) -> Response:
    """The look-up form on the auditors' page: straight to the case's trail."""
    return see_other(f"/cases/{case_id}/trail")


@router.get("/cases/{case_id}/trail", response_class=HTMLResponse)
async def case_trail(request: Request, case_id: uuid.UUID, api: Backend = Api) -> HTMLResponse:
    """The audit service's trail of the case: every event on the streams it reads, in time order, masked."""
    answer = await api.get("audit", f"/cases/{case_id}/trail")
    return page(request, "trail.html", case_id=case_id, events=answer["events"], topics=answer["topics"])


# --- what goes wrong ---------------------------------------------------------------------------------------------

def install_error_pages(app: Any) -> None:
    async def sign_in_first(request: Request, _exc: Exception) -> Response:
        next_page = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return see_other("/signin", next=next_page if request.method == "GET" else "/")

    async def api_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        status = exc.status if 400 <= exc.status < 500 else 502
        response = page(request, "error.html", status_code=status, status=exc.status, detail=exc.detail,
                        errors=exc.errors)
        if exc.status == 401:  # the token no longer passes: sign in again
            response.delete_cookie(COOKIE)
        return response

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [{"field": ".".join(str(p) for p in e["loc"][1:]), "reason": e["msg"]} for e in exc.errors()]
        return page(request, "error.html", status_code=422, status=422, detail="invalid request", errors=errors)

    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_exception_handler(ApiError, api_refused)
    app.add_exception_handler(RequestValidationError, invalid_request)
