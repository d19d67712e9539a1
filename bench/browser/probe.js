// bnviz browser benchmark probe, injected before any page script (page.add_init_script).
// Records, on the page's own clock (performance.now()):
//   * the first trusted input event (keydown / pointerdown / click) since the last reset;
//   * the time of the last DOM mutation (MutationObserver on the whole document);
//   * every websocket frame, sent and received, with its bytes and its top-level protobuf field numbers
//     (a ten-line tag walk: enough to tell a rerun BackMsg or a script_finished ForwardMsg while waiting;
//     Python decodes the bytes with Streamlit's own protos afterwards);
//   * main-thread long tasks (PerformanceObserver, type "longtask").
// FIELDS is replaced by Python with the field numbers read from BackMsg_pb2 / ForwardMsg_pb2.
(() => {
  const F = __FIELDS__;
  const B = {
    input: 0, since: 0, mut: 0, lastFrame: 0, lastRerun: 0, lastFinished: 0, reruns: 0,
    frames: [], longtasks: [], sockets: 0,
  };
  window.__bnviz = B;

  // Top-level field numbers of a protobuf message (wire types 0, 1, 2, 5).
  const fields = (u8) => {
    const out = [];
    let i = 0;
    const varint = () => {
      let v = 0, mul = 1, b;
      do { b = u8[i++]; v += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80 && i < u8.length);
      return v;
    };
    while (i < u8.length) {
      const key = varint(), wire = key % 8;
      out.push(Math.floor(key / 8));
      if (wire === 0) varint();
      else if (wire === 1) i += 8;
      else if (wire === 2) { const n = varint(); i += n; }
      else if (wire === 5) i += 4;
      else break;
    }
    return out;
  };
  const bytes = (d) => {
    if (d instanceof ArrayBuffer) return new Uint8Array(d);
    if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
    return null;
  };
  const record = (dir, data) => {
    const now = performance.now();
    const u8 = bytes(data);
    const f = u8 ? fields(u8) : [];
    const heartbeat = dir === "out" ? f.includes(F.back_heartbeat) : f.includes(F.fwd_heartbeat_ack);
    B.frames.push({ t: now, dir, fields: f, data: u8 });
    if (!heartbeat) B.lastFrame = now;
    if (dir === "out" && f.includes(F.back_rerun)) { B.lastRerun = now; B.reruns += 1; }
    if (dir === "in" && f.includes(F.fwd_finished)) B.lastFinished = now;
  };

  const Native = window.WebSocket;
  class ProbedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      B.sockets += 1;
      this.addEventListener("message", (e) => record("in", e.data));
    }
    send(data) {
      record("out", data);
      return super.send(data);
    }
  }
  window.WebSocket = ProbedWebSocket;

  for (const type of ["keydown", "pointerdown", "click"]) {
    window.addEventListener(type, (e) => {
      if (e.isTrusted && B.input === 0) B.input = performance.now();
    }, true);
  }
  // Mutations anywhere, shadow roots included (a components v2 element may draw into one).
  const observer = new MutationObserver(() => { B.mut = performance.now(); });
  const watch = (root) => observer.observe(root, { subtree: true, childList: true, attributes: true,
    characterData: true });
  watch(document);
  B.roots = [document];
  const nativeAttach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = nativeAttach.call(this, init);
    B.roots.push(root);
    watch(root);
    return root;
  };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (err) { B.longtaskError = String(err); }

  // Forget everything recorded so far; the next input starts an interaction.
  B.reset = () => {
    B.input = 0; B.since = performance.now(); B.reruns = 0; B.frames = []; B.longtasks = [];
    return performance.now();
  };
  // q: {quiet, expectRerun, grace, title: {selector, old} | null}. True when the page is idle:
  // no rerun without its script_finished, (a rerun seen, or `grace` ms passed, when one is expected),
  // the title changed (when asked), then no frame and no mutation for `quiet` ms.
  B.titleText = (selector) => B.roots.flatMap((r) => (r.isConnected === false ? [] : Array.from(r.querySelectorAll(selector))))
    .map((el) => el.textContent.trim()).join(" | ");
  B.idle = (q) => {
    const now = performance.now();
    const start = B.input || B.since;  // an input's time, else the reset's (a load: the page's start, 0)
    if (B.lastRerun > B.lastFinished) return false;
    if (q.expectRerun && B.reruns === 0 && now - start < q.grace) return false;
    if (q.title && B.titleText(q.title.selector) === q.title.old && now - start < q.grace) return false;
    return now - Math.max(B.mut, B.lastFrame, start) >= q.quiet;
  };
  // The interaction's record; frame bytes as base64, converted now (after the quiet window).
  B.take = () => {
    const b64 = (u8) => {
      if (!u8) return null;
      let s = "";
      for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
      return btoa(s);
    };
    return {
      now: performance.now(), input: B.input, mut: B.mut, lastFrame: B.lastFrame, reruns: B.reruns,
      sockets: B.sockets, longtaskError: B.longtaskError || null,
      longtasks: B.longtasks.slice(),
      frames: B.frames.map((f) => ({ t: f.t, dir: f.dir, fields: f.fields, data: b64(f.data) })),
    };
  };
})();
