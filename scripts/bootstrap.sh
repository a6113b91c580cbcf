#!/usr/bin/env bash
# Installs what the project needs on Debian 12 and builds it (Release, incrementally).
# Sourced by ./test.sh (and by the harness and benchmark scripts); safe to run again: when
# everything is present it costs a dpkg query and an up-to-date build check.
#
#   LIQUID_EXTRA_PACKAGES  more apt packages for this caller (e.g. python3-torch for benchmarks)
#   LIQUID_BUILD_PROJECT   build this project instead of the whole solution
#   LIBTORCH_DIR           build against another libtorch (see runtime/native/README.md)

set -euo pipefail

liquid_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# libtorch-dev: headers, CMake config and libtorch itself. libopenblas0-pthread: without it libtorch
# falls back to reference BLAS and matrix products are ~25x slower. fortunes(-es): built-in corpora.
liquid_packages=(libtorch-dev libopenblas0-pthread cmake g++ make fortunes fortunes-es)
if [[ -n "${LIBTORCH_DIR:-}" ]]; then
  liquid_packages=(libopenblas0-pthread cmake g++ make fortunes fortunes-es)
fi
# shellcheck disable=SC2206
liquid_packages+=(${LIQUID_EXTRA_PACKAGES:-})

liquid_missing_packages() {
  local package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      printf '%s ' "$package"
    fi
  done
}

liquid_install_packages() {
  local missing
  missing="$(liquid_missing_packages "${liquid_packages[@]}")"
  [[ -z "$missing" ]] && return 0
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "Liquid.Compiler needs these Debian packages: $missing" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $missing" >&2
    exit 1
  fi
  echo "Installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $missing >/dev/null
}

liquid_check_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "Liquid.Compiler needs the .NET SDK 10 (dotnet on PATH); Debian does not package it." >&2
    echo "Install it from https://learn.microsoft.com/dotnet/core/install/linux-debian and run again." >&2
    exit 1
  fi
}

liquid_build() {
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  # Native (CMake, via an MSBuild target in Liquid.Runtime) and managed code, Release; the whole
  # solution unless the caller names one project (./liquid builds only the harness).
  dotnet build "${LIQUID_BUILD_PROJECT:-$liquid_root/Liquid.Compiler.sln}" -c Release -nologo -v quiet -clp:"NoSummary;ErrorsOnly"
}

liquid_install_packages
liquid_check_dotnet
liquid_build
