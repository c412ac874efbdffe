#!/usr/bin/env bash
# Install the Debian packages that building the Debian package needs (make
# deb), when missing: the Build-Depends of debian/control, and dpkg-dev.
exec "$(dirname "$0")/../test/deps.sh" dpkg-dev debhelper postgresql-server-dev-all libphonenumber-dev g++ make
