#!/usr/bin/env bash
# One-command set-up on a fresh Debian/Ubuntu machine, then run the app or the tests.
#   packaging/bootstrap.sh app [app options]   install, then start Clinic Desktop (embedded database, demo data)
#   packaging/bootstrap.sh test [pytest args]  install, then run the test suite on a real PostgreSQL it starts
# Idempotent: installs only what is missing. Needs root or sudo for the system packages.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-app}"; shift || true

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

# Qt's runtime libraries (offscreen and X11), and the PostgreSQL server programs.
qt_pkgs="libegl1 libgl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libxkbcommon0"
x11_pkgs="libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0"
pg_pkgs="postgresql-15 postgresql-contrib"
wanted="$qt_pkgs $pg_pkgs"
[ "$mode" = "app" ] && wanted="$wanted $x11_pkgs"
# The tests read the printed PDF reports back with poppler (pdftotext, pdfinfo) and run the
# day-dependent modules at faked wall-clock times with libfaketime; the keyring tests run a real
# Secret Service (gnome-keyring on a private D-Bus session bus).
[ "$mode" = "test" ] && wanted="$wanted poppler-utils faketime gnome-keyring dbus"

missing=""
for p in $wanted; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q " ok installed" || missing="$missing $p"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null; then
  echo "Installing system packages:$missing"
  # Install PostgreSQL's programs without creating or starting the system-wide cluster (Clinic
  # Desktop runs its own private cluster). Both settings are put back as they were afterwards.
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo_cmd[@]}" chmod +x /usr/sbin/policy-rc.d; policy_added=1
  fi
  conf=/etc/postgresql-common/createcluster.conf conf_saved=""
  if [ -e "$conf" ]; then conf_saved="$(mktemp)"; "${sudo_cmd[@]}" cp -p "$conf" "$conf_saved"; fi
  "${sudo_cmd[@]}" mkdir -p /etc/postgresql-common
  if ! grep -qs '^create_main_cluster *= *false' "$conf"; then
    echo 'create_main_cluster = false' | "${sudo_cmd[@]}" tee -a "$conf" >/dev/null
  fi
  restore() {
    if [ -n "$conf_saved" ]; then "${sudo_cmd[@]}" cp -p "$conf_saved" "$conf"; rm -f "$conf_saved"
    else "${sudo_cmd[@]}" sed -i '/^create_main_cluster *= *false$/d' "$conf"; fi
    [ "$policy_added" = 1 ] && "${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d
    return 0
  }
  trap restore EXIT
  export DEBIAN_FRONTEND=noninteractive
  # Another apt (an unattended upgrade) may hold the lock: wait for it rather than fail.
  apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
  "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" update -qq
  # shellcheck disable=SC2086
  "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends $missing >/dev/null
  restore; trap - EXIT
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
# pip and the build backend talk a lot (an editable-install notice, index warnings): keep it in a
# log and show it only when the install fails.
install_log=.venv/install.log
pip_install() {
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check "$@" >"$install_log" 2>&1; then
    cat "$install_log" >&2; echo "Installing the Python packages failed (log above, also in $install_log)." >&2; exit 1
  fi
}
if [ "$mode" = "test" ]; then
  echo "Installing the Python packages into .venv…"
  pip_install -e ".[test]"
  export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
  exec .venv/bin/python -m pytest "$@"
else
  echo "Installing the Python packages into .venv…"
  pip_install -e .
  echo "Starting Clinic Desktop (next time: .venv/bin/clinic-desktop --demo)."
  exec .venv/bin/clinic-desktop --demo "$@"
fi
