#!/usr/bin/env bash
# apt_install PKG...: installs the Debian packages that are not installed yet.
# Runs `apt-get update` at most once per machine boot-up of this helper, and only
# when something is missing, so a set-up run on a ready machine costs nothing.
apt_install() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  if [ ! -f /tmp/.kstream-apt-updated ]; then
    $sudo apt-get update -qq
    touch /tmp/.kstream-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
