"""A simulated learner that speaks Streamlit's own websocket protocol (no browser).

It does what the browser does, minus the drawing:

1. ``GET /_stcore/health`` (through nginx too): sets the ``_streamlit_xsrf``
   cookie and, behind ``deploy/nginx.conf``, the sticky ``bnviz_route``
   cookie; the ``X-Bnviz-Upstream`` header names the replica that answered.
2. Opens ``ws://HOST/_stcore/stream`` with ``Origin``, the cookies and
   ``Sec-WebSocket-Protocol: streamlit, <xsrf>``.
3. Sends ``BackMsg.rerun_script`` for the lesson (``page_name`` = URL path and
   the query string), reads the ForwardMsgs until ``script_finished``: the
   ``navigation`` message gives the page's script hash, the deltas give the
   widgets (ids, bounds, values, sidebar or main), ``page_info_changed`` the
   query string the page wrote.
4. Acts: moves the sidebar sliders (``m``, ``gamma``), one of the lesson's own
   sliders, or steps (the ``next`` / ``prev`` buttons are ``trigger_value``
   widgets today; when stepping becomes client-side there are no such buttons
   and a step sends nothing: only what is sent is counted).

Between actions the learner thinks (:meth:`Learner.think`) while still reading
its websocket, so the server's pings are answered as a browser answers them.

Every action sent is timed from the BackMsg to ``script_finished``. An error is
an ``exception`` delta, a compile error, a closed websocket or a failed
handshake; a stall is no ``script_finished`` within ``timeout`` seconds.
Shapes: none; everything here is protocol bookkeeping.
"""

from __future__ import annotations

import random
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ID_PREFIX = "$$ID-"
FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
UPSTREAM_HEADER = "x-bnviz-upstream"
SIDEBAR_SLIDERS = ("m", "gamma")
STEP_BUTTONS = ("next", "prev")
LESSONS = ("/graph?m=5", "/graph?step=9", "/saturation", "/upstream", "/train_test", "/renorm", "/axes",
           "/conv", "/pool", "/graph?lang=zh&m=16")
"""Where learners start (URL path and query); the network and experiments lessons train only on a click."""


class LearnerError(Exception):
    """A failed action: ``kind`` is "error" (exception, closed socket, bad handshake) or "stall"."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass
class Widget:
    """What the learner knows of one widget: its full id, proto kind, where it is and its last value."""

    id: str
    kind: str
    sidebar: bool
    proto: object
    state: tuple[str, object] | None = None
    """(WidgetState field, value): what the browser would send for it now."""

    @property
    def value(self) -> list[float] | None:
        """A numeric slider's value."""
        return list(self.state[1]) if self.state and self.state[0] == "double_array_value" else None


@dataclass
class Outcome:
    """One timed action: name, milliseconds from BackMsg to script_finished, error kind or None."""

    action: str
    ms: float
    error: str | None = None
    detail: str = ""


@dataclass
class View:
    """What a learner sees, as far as the URL decides it: the page's URL path and its query string."""

    page: str
    query: dict[str, list[str]] = field(default_factory=dict)


def user_key(widget_id: str) -> str | None:
    """The ``key=`` a widget was created with, from its id ``$$ID-<hash>-<key>`` (None without a key)."""
    if not widget_id.startswith(ID_PREFIX):
        return None
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[2] != "None" else None


class Learner:
    """One learner on one websocket session.

    base_url: ``http://host:port`` (a replica or nginx); path: the lesson's URL
    path with its query string (``/graph?m=5&step=3``); timeout: seconds
    without ``script_finished`` that make a stall; on_outcome: called with
    every timed :class:`Outcome` (Locust's request events hook in here).
    """

    def __init__(self, base_url: str, path: str = "/graph", timeout: float = 10.0,
                 rng: random.Random | None = None, on_outcome: Callable[[Outcome], None] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        parsed = urllib.parse.urlsplit(path)
        self.page = parsed.path.strip("/")
        self.query_string = parsed.query
        self.timeout = timeout
        self.rng = rng or random.Random()
        self.on_outcome = on_outcome
        self.cookies: dict[str, str] = {}
        self.ws: websocket.WebSocket | None = None
        self.upstreams: list[str] = []
        """The replica (nginx's ``$upstream_addr``) of every websocket this learner opened, in order."""
        self.session_ids: list[str] = []
        self.page_hash = ""
        self.page_url = ""
        self.widgets: dict[str, Widget] = {}
        self.outcomes: list[Outcome] = []
        self.page_not_found = 0

    # ------------------------------------------------------- connection --

    def connect(self) -> None:
        """Health check (cookies, replica) then the websocket handshake."""
        url = f"{self.base_url}/_stcore/health"
        req = urllib.request.Request(url, headers=self._cookie_header())
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            body = resp.read().decode()
            self._take_cookies(resp.headers.get_all("Set-Cookie") or [])
        if body.strip() != "ok":
            raise LearnerError("error", f"health answered {body!r}")
        xsrf = self.cookies.get("_streamlit_xsrf", "")
        ws_url = "ws" + self.base_url[len("http"):] + "/_stcore/stream"
        protocols = ["streamlit", xsrf] if xsrf else ["streamlit"]
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = websocket.create_connection(ws_url, timeout=self.timeout, origin=self.base_url,
                                              subprotocols=protocols, cookie=cookie or None)
        headers = {k.lower(): v for k, v in (self.ws.getheaders() or {}).items()}
        self.upstreams.append(headers.get(UPSTREAM_HEADER, self.base_url))
        self.widgets.clear()
        self.page_hash = ""

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            except (OSError, websocket.WebSocketException):
                pass
            self.ws = None

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def _take_cookies(self, set_cookies: list[str]) -> None:
        for raw in set_cookies:
            name, _, rest = raw.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0].strip()

    # ------------------------------------------------------------ actions --

    def open(self, action: str = "open") -> Outcome:
        """(Re)connect and open the lesson from its URL path and query string, as a fresh page load does."""
        start = time.perf_counter()
        try:
            self.close()
            self.connect()
        except (OSError, websocket.WebSocketException, LearnerError) as err:
            return self._record(Outcome(action, (time.perf_counter() - start) * 1000, "error", repr(err)))
        return self._rerun(action, page_name=self.page, start=start)

    def act(self) -> Outcome | None:
        """One random learner action; None when it sends nothing (e.g. client-side stepping)."""
        choice = self.rng.choices(("m", "gamma", "lesson", "step"), weights=(2, 2, 2, 4))[0]
        if choice in SIDEBAR_SLIDERS:
            return self.move_slider(choice, f"slider_{choice}")
        if choice == "lesson":
            own = [k for k, w in self.widgets.items() if not w.sidebar and w.kind == "slider" and k != "step"
                   and not w.proto.disabled]
            return self.move_slider(self.rng.choice(own), "lesson_slider") if own else self.step()
        return self.step()

    def step(self) -> Outcome | None:
        """Press Next (or Previous at the last step); nothing is sent when the page has no such buttons."""
        step = self.widgets.get("step")
        at_end = step is not None and step.value and step.value[0] >= step.proto.max
        name = "prev" if at_end else "next"
        if name not in self.widgets:
            return None
        return self._rerun("step", triggers={self.widgets[name].id})

    def move_slider(self, key: str, action: str) -> Outcome | None:
        """Move slider ``key`` to another random allowed value (as a drag or arrow key would)."""
        w = self.widgets.get(key)
        if w is None or w.kind != "slider":
            return None
        s = w.proto
        if s.options:
            values = list(range(len(s.options)))
        else:
            n = int(round((s.max - s.min) / s.step)) if s.step else 0
            values = [round(s.min + i * s.step, 9) for i in range(min(n, 200) + 1)]
        current = (w.value or [None])[0]
        values = [v for v in values if v != current] or values
        value = float(self.rng.choice(values))
        if s.options:
            w.state = ("string_array_value", [s.options[int(value)]])
        else:
            w.state = ("double_array_value", [value])
        if s.query_param_key:  # the browser writes a bound widget's value into the URL
            query = dict(urllib.parse.parse_qsl(self.query_string, keep_blank_values=True))
            default = list(s.default)
            if default and abs(default[0] - value) < 1e-12:
                query.pop(s.query_param_key, None)  # a default value leaves the URL, as in Streamlit
            else:
                query[s.query_param_key] = (s.options[int(value)] if s.options else
                                            f"{int(value)}" if s.data_type == s.INT else f"{value:g}")
            self.query_string = urllib.parse.urlencode(query)
        return self._rerun(action)

    def view(self) -> View:
        """The page and query string this session shows now."""
        return View(self.page_url or self.page, urllib.parse.parse_qs(self.query_string))

    # ------------------------------------------------------- the protocol --

    def _rerun(self, action: str, page_name: str = "", triggers: set[str] | None = None,
               start: float | None = None) -> Outcome:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = "" if page_name else self.page_hash
        cs.page_name = page_name
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "en-US"
        cs.context_info.url = f"{self.base_url}/{self.page}?{self.query_string}"
        for w in self.widgets.values():
            if w.state is not None:
                state = w.state
                ws = cs.widget_states.widgets.add()
                ws.id = w.id
                name, value = state
                if name.endswith("array_value"):
                    getattr(ws, name).data.extend(value)
                else:
                    setattr(ws, name, value)
        for wid in triggers or ():
            ws = cs.widget_states.widgets.add()
            ws.id = wid
            ws.trigger_value = True
        start = time.perf_counter() if start is None else start
        try:
            if self.ws is None:
                raise LearnerError("error", "not connected")
            self.ws.send_binary(msg.SerializeToString())
            self._read_until_finished(start)
        except LearnerError as err:
            if err.kind == "stall":  # a learner facing a blank page reloads it (a new session)
                self.close()
            out = Outcome(action, (time.perf_counter() - start) * 1000, err.kind, err.detail)
        except (OSError, websocket.WebSocketException) as err:
            self.close()
            out = Outcome(action, (time.perf_counter() - start) * 1000, "error", repr(err))
        else:
            out = Outcome(action, (time.perf_counter() - start) * 1000)
        return self._record(out)

    def _record(self, out: Outcome) -> Outcome:
        self.outcomes.append(out)
        if self.on_outcome is not None:
            self.on_outcome(out)
        return out

    def _read_until_finished(self, start: float) -> None:
        assert self.ws is not None
        exception: str | None = None
        deadline = start + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise LearnerError("stall", f"no script_finished within {self.timeout:g} s")
            self.ws.settimeout(left)
            try:
                opcode, data = self.ws.recv_data()
            except websocket.WebSocketTimeoutException as err:
                raise LearnerError("stall", f"no script_finished within {self.timeout:g} s") from err
            finished, found = self._take_frame(opcode, data)
            exception = found or exception
            if finished:
                if exception:
                    raise LearnerError("error", exception)
                return

    def think(self, seconds: float, slice_s: float = 1.0) -> None:
        """Wait ``seconds`` (a learner reading the page) while still reading the websocket, as a browser does:
        websocket-client answers the server's pings only when it reads, and uvicorn closes a socket whose ping
        goes unanswered for its timeout (30 s), which showed up as ``BrokenPipeError`` on the next action."""
        end = time.perf_counter() + seconds
        while self.ws is not None and (left := end - time.perf_counter()) > 0:
            self.ws.settimeout(min(slice_s, left))
            try:
                opcode, data = self.ws.recv_data()
                self._take_frame(opcode, data)
            except websocket.WebSocketTimeoutException:
                continue
            except (OSError, websocket.WebSocketException, LearnerError):
                self.close()  # the next action reconnects
                break
        if self.ws is None:
            time.sleep(max(0.0, end - time.perf_counter()))

    def _take_frame(self, opcode: int, data: bytes) -> tuple[bool, str | None]:
        """Learn from one frame: (script_finished for this run, an exception's message or None)."""
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            self.close()
            raise LearnerError("error", "websocket closed by the server")
        if opcode != websocket.ABNF.OPCODE_BINARY:
            return False, None
        fwd = ForwardMsg()
        fwd.ParseFromString(data)
        kind = fwd.WhichOneof("type")
        if kind == "delta":
            return False, self._take_delta(fwd)
        if kind == "new_session":
            self.session_ids.append(fwd.new_session.initialize.session_id)
        elif kind == "navigation":
            self.page_hash = fwd.navigation.page_script_hash
            for page in fwd.navigation.app_pages:
                if page.page_script_hash == self.page_hash:
                    self.page_url = page.url_pathname
        elif kind == "page_info_changed":
            self.query_string = fwd.page_info_changed.query_string
        elif kind == "page_not_found":
            self.page_not_found += 1
        elif kind == "script_finished":
            status = fwd.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return False, None
            if status not in FINISHED_OK:
                raise LearnerError("error", f"script_finished status {status}")
            return True, None
        return False, None

    def _take_delta(self, fwd: ForwardMsg) -> str | None:
        """Learn a widget from a new element; return an exception's message if the element is one."""
        delta = fwd.delta
        if delta.WhichOneof("type") != "new_element":
            return None
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            return f"{el.exception.type}: {el.exception.message}"
        proto = getattr(el, kind) if kind else None
        wid = getattr(proto, "id", "") if proto is not None else ""
        if not wid:
            return None
        key = user_key(wid) or wid
        sidebar = bool(fwd.metadata.delta_path) and fwd.metadata.delta_path[0] == 1
        old = self.widgets.get(key)
        widget = Widget(wid, kind, sidebar, proto)
        if old is not None and old.id == wid and not getattr(proto, "set_value", False):
            widget.state = old.state  # the browser keeps what it shows unless the server sets a value
        else:
            widget.state = _state_of(widget)
        self.widgets[key] = widget
        return None


def _state_of(w: Widget) -> tuple[str, object] | None:
    """The widget state the browser would send for a widget it has drawn and nobody touched:
    (WidgetState field, value), or None for widgets that send nothing (buttons, charts)."""
    p = w.proto
    if w.kind == "slider":
        if p.options:
            return "string_array_value", list(p.raw_value) if p.raw_value else [p.options[int(i)] for i in p.default]
        return "double_array_value", list(p.value) if p.set_value else list(p.default)
    if w.kind == "selectbox" and len(p.options):
        if p.raw_value:
            return "string_value", p.raw_value
        return ("string_value", p.options[p.default]) if p.HasField("default") else None
    if w.kind == "button_group":
        if p.set_value or p.raw_values:
            return "string_array_value", list(p.raw_values)
        return "string_array_value", [p.options[int(i)].content for i in p.default]
    if w.kind == "number_input":
        value = p.value if p.HasField("value") else p.default
        return "double_value", float(value)
    return None
