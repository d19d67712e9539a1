#!/usr/bin/env bash
# Serve a class from one machine: N Streamlit replicas (on 127.0.0.1) behind nginx.
#
#   ./scripts/serve.sh --replicas 2 --port 8080
#   ./scripts/serve.sh --replicas 4 --port 80 --listen 0.0.0.0 -- --server.maxUploadSize 10
#
# Options:
#   --replicas N     Streamlit processes (default 2; each is one Python process, ~1 core)
#   --port P         the port nginx listens on (default 8080)
#   --listen ADDR    the address nginx listens on (default 0.0.0.0; the replicas stay on 127.0.0.1)
#   --run-dir DIR    where the rendered nginx.conf, pid files and logs go (default: a new temp dir)
#   --access-log     keep nginx's access log (default off: it grows fast under load)
#   -- ARGS          extra arguments for every `streamlit run`
#
# nginx (Debian's `nginx` package) runs as the current user with DIR as its prefix, in the
# foreground; Ctrl-C (or SIGTERM) stops nginx and every replica. The run dir holds
# replica-PORT.pid / replica-PORT.log for each replica, nginx.pid and error.log.
# nginx routes a browser to one replica by its bnviz_route cookie (see deploy/nginx.conf).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
replicas=2
port=8080
listen=0.0.0.0
run_dir=""
access_log=off
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --replicas) replicas="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --listen) listen="$2"; shift 2 ;;
        --run-dir) run_dir="$2"; shift 2 ;;
        --access-log) access_log=on; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ "$replicas" =~ ^[1-9][0-9]*$ ]] || ! [[ "$port" =~ ^[0-9]+$ ]]; then
    echo "error: --replicas must be a positive integer and --port a port number" >&2
    exit 2
fi
if [ ! -x "$NGINX" ]; then
    echo "error: nginx not found; install it with: apt-get install -y nginx" >&2
    exit 1
fi
[ -n "$run_dir" ] || run_dir="$(mktemp -d -t bnviz-serve.XXXXXX)"
mkdir -p "$run_dir/tmp"
run_dir="$(cd "$run_dir" && pwd)"

pids=()
stop() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

servers=""
ports=()
for _ in $(seq "$replicas"); do
    p="$(free_port)"
    "$PYTHON" -m streamlit run app.py --server.headless true --server.port "$p" --server.address 127.0.0.1 \
        --browser.gatherUsageStats false --server.fileWatcherType none "${extra[@]}" \
        >"$run_dir/replica-$p.log" 2>&1 &
    pids+=("$!")
    echo "$!" >"$run_dir/replica-$p.pid"
    ports+=("$p")
    servers+="        server 127.0.0.1:$p max_fails=1 fail_timeout=10s;"$'\n'
done

for p in "${ports[@]}"; do
    for _ in $(seq 120); do
        if [ "$("$PYTHON" -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:$p/_stcore/health', timeout=2).read().decode())" 2>/dev/null)" = ok ]; then
            continue 2
        fi
        sleep 0.5
    done
    echo "error: replica on port $p did not become healthy; see $run_dir/replica-$p.log" >&2
    exit 1
done

user_line=""
if [ "$(id -u)" -eq 0 ]; then
    user_line="user root;"  # nginx's workers would otherwise switch to nobody, who cannot write the run dir
fi
access="off"
[ "$access_log" = on ] && access="$run_dir/access.log"
PYTHONIOENCODING=utf-8 "$PYTHON" - "$run_dir" "$listen:$port" "$user_line" "$access" "$servers" <<'PY'
import sys
from pathlib import Path

run_dir, listen, user_line, access, servers = sys.argv[1:]
text = Path("deploy/nginx.conf").read_text()
for field, value in {"@RUN_DIR@": run_dir, "@LISTEN@": listen, "@USER_LINE@": user_line,
                     "@ACCESS_LOG@": access, "@SERVERS@": servers.rstrip("\n")}.items():
    text = text.replace(field, value)
Path(run_dir, "nginx.conf").write_text(text)
PY

"$NGINX" -p "$run_dir" -c "$run_dir/nginx.conf" -e "$run_dir/error.log" -t -q
"$NGINX" -p "$run_dir" -c "$run_dir/nginx.conf" -e "$run_dir/error.log" -g 'daemon off;' &
nginx_pid=$!
pids+=("$nginx_pid")
echo "bnviz: http://$listen:$port/ -> ${#ports[@]} replicas (127.0.0.1:${ports[*]}); run dir $run_dir"
# A replica that dies is not restarted: nginx sends its learners to the others. The stack stops with nginx.
status=0
wait "$nginx_pid" || status=$?
echo "bnviz: nginx exited (status $status); stopping the replicas" >&2
exit "$status"
