#!/bin/bash
# Docker HEALTHCHECK: healthy while the server reports itself ready to serve. Bash's /dev/tcp needs no curl or
# wget in the image (the JRE base images differ in which, if any, they carry).
set -euo pipefail
exec 3<>"/dev/tcp/127.0.0.1/${PORT:-8080}"
printf 'GET /actuator/health/readiness HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 5 _ status _ <&3
[ "$status" = 200 ]
