#!/usr/bin/env bash
# Runs the product: the sync server on embedded PostgreSQL and Redis (or on PEERSEED_DATABASE_URL /
# PEERSEED_REDIS_URL when set), migrated and filled with demo data, in the background; then the
# desktop app in demo mode (the demo accounts, one per profile, are listed on the login window).
# Closing the app stops the server. Extra arguments go to the desktop app (e.g. --lang en).
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"

# A window on X11 needs the xcb libraries of Qt's platform plugin (offscreen needs fewer, see
# _env.sh): install the missing ones on Debian, as _env.sh does for its list.
if [ -n "${DISPLAY:-}" ] && command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  xcb_libs=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0
            libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxkbcommon-x11-0)
  missing=()
  for pkg in "${xcb_libs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
    echo "==> instalando bibliotecas do sistema para as janelas do Qt: ${missing[*]}"
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

HOST="${PEERSEED_HOST:-127.0.0.1}"
PORT="${PEERSEED_PORT:-8000}"
URL="http://${HOST}:${PORT}"
LOG_DIR="${PEERSEED_DEMO_LOG_DIR:-$(mktemp -d -t peerseed-demo-XXXXXX)}"
mkdir -p "$LOG_DIR"
SERVER_LOG="$LOG_DIR/server.log"

healthy() {  # curl may be missing on a fresh machine; Python is not
  python - "$URL/v1/health" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    sys.exit(0 if response.status == 200 else 1)
PY
}

if healthy; then
  echo "==> já existe um servidor em $URL: use-o ou pare-o antes (porta $PORT ocupada)" >&2
  exit 1
fi

echo "==> iniciando o servidor com dados de demonstração em $URL (log: $SERVER_LOG)"
peerseed-server run --demo --host "$HOST" --port "$PORT" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "==> parando o servidor"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    # Embedded PostgreSQL and Redis stop with it; give them time to shut down cleanly.
    for _ in $(seq 1 60); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

echo -n "==> aguardando $URL/v1/health "
for _ in $(seq 1 240); do
  if healthy; then
    echo " pronto"
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo
    echo "==> o servidor terminou antes de ficar pronto; últimas linhas do log:" >&2
    tail -n 30 "$SERVER_LOG" >&2
    exit 1
  fi
  echo -n "."
  sleep 0.5
done
if ! healthy; then
  echo
  echo "==> o servidor não respondeu em 120 s; últimas linhas do log:" >&2
  tail -n 30 "$SERVER_LOG" >&2
  exit 1
fi

echo "==> abrindo o aplicativo (modo demonstração); feche a janela para encerrar tudo"
peerseed --demo --server "$URL" "$@"
