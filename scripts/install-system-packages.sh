#!/usr/bin/env bash
# Debian packages the reports and tests need: fonts with Latin, Greek, Arabic and CJK glyphs for
# owner names, Pango for WeasyPrint, HarfBuzz subsetting (byte-stable PDFs), poppler to read PDFs
# back. Installs only what is missing; needs root (or sudo) and apt when anything is.
set -euo pipefail
packages=(fonts-dejavu-core fonts-dejavu-extra fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0
          libharfbuzz-subset0 poppler-utils "$@")
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "missing system packages (${missing[*]}) and no apt-get to install them" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
