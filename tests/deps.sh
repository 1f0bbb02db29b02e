#!/usr/bin/env bash
# deps.sh — make sure the Debian packages the build, the tests and the demo need
# are installed; install the missing ones with apt-get when running as root.
set -euo pipefail
packages=(build-essential g++ meson ninja-build pkg-config python3
	libmariadb-dev libpcre2-dev libck-dev libcunit1-dev
	mariadb-server mariadb-client sysbench python3-mysqldb valgrind groff-base openssl
	ruby ruby-mysql2 libdbd-mysql-perl libdbd-mariadb-perl python3-sqlalchemy python3-venv)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
