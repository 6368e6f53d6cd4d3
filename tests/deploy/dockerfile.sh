#!/usr/bin/env bash
# Dockerfile and .dockerignore, without a Docker engine: the structure the image must
# have (Debian 12 build with the local build's package step, slim runtime, non-root,
# exec-form entrypoint so SIGTERM reaches the job, port, default config), the runtime
# packages against Debian 12 (they exist, they are the runtime halves of the build's -dev
# packages, and they cover every library the built binary needs), and the build context
# (.dockerignore keeps everything CMake needs: configured from a copy of that context).
# shellcheck source=tests/deploy/lib.sh
source "$(dirname "$0")/lib.sh"
need python3 git
if command -v dockerfile-lint >/dev/null 2>&1; then
  dockerfile-lint Dockerfile || fail "BuildKit's Dockerfile checks"
  ok "BuildKit Dockerfile parser and lint rules (docker build --check equivalent): no warning"
  # ... and the linter does speak: shell-form ENTRYPOINT (SIGTERM would go to /bin/sh),
  # a lower-case `as`, an undefined variable.
  # shellcheck disable=SC2016  # the $ is for Docker, not for this shell
  printf 'FROM debian:12 as build\nENTRYPOINT /usr/local/bin/kstream-app $UNDEFINED_FLAG\n' >"$work/Dockerfile.bad"
  expect_fail "BuildKit lint flags a shell-form ENTRYPOINT" dockerfile-lint "$work/Dockerfile.bad"
  if ! grep -q JSONArgsRecommended "$work/expect_fail.out" || ! grep -q FromAsCasing "$work/expect_fail.out"; then
    cat "$work/expect_fail.out"; fail "dockerfile-lint did not report JSONArgsRecommended and FromAsCasing"
  fi
else
  fail "dockerfile-lint not found: run make setup"
fi
python3 "$repo/tests/deploy/check_dockerfile.py" "$work"
checks=$((checks + 1))

# The build context as Docker would send it, configured by CMake as the build stage does.
if command -v cmake >/dev/null 2>&1 && pkg-config --exists rdkafka++ 2>/dev/null; then
  if cmake -S "$work/context" -B "$work/context-build" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.out" 2>&1; then
    ok "cmake configures the build context that .dockerignore leaves"
    python3 "$repo/tests/deploy/check_build_packages.py" "$work/context-build/CMakeCache.txt" \
      || fail "the build stage's packages (10-apt-core.sh) do not cover the build"
    ok "everything CMake found comes from scripts/setup.d/10-apt-core.sh's packages"
  else
    tail -n 30 "$work/cmake.out"
    fail "cmake cannot configure the Docker build context: .dockerignore drops something the build needs"
  fi
  # Run the build stage's own RUN command, taken from the Dockerfile, on the context, with
  # its /build and /out moved into the scratch directory (about a minute of compiling;
  # KSTREAM_DEPLOY_BUILD_STAGE=0 skips it).
  if [ "${KSTREAM_DEPLOY_BUILD_STAGE:-1}" = 1 ]; then
    run_cmd="$(python3 - <<'PY'
import re
text = open("Dockerfile").read().replace("\\\n", " ")
print(next(l for l in text.splitlines() if l.startswith("RUN cmake "))[4:])
PY
)"
    run_cmd="${run_cmd//\/build/$work/stage-build}"
    run_cmd="${run_cmd//\/out\//$work/stage-out/}"
    (cd "$work/context" && nice sh -c "$run_cmd") >"$work/stage.out" 2>&1 || { tail -n 40 "$work/stage.out"; fail "the build stage's RUN command"; }
    if [ ! -x "$work/stage-out/usr/local/bin/kstream-app" ] || [ ! -f "$work/stage-out/etc/kstream-app/caf-application.ini" ]; then
      fail "the build stage did not produce /usr/local/bin/kstream-app and /etc/kstream-app/caf-application.ini"
    fi
    ok "the build stage's RUN command builds, strips and installs kstream-app from the context"
    img_bin="$work/stage-out/usr/local/bin/kstream-app" img_ini="$work/stage-out/etc/kstream-app/caf-application.ini"
    timeout 20 "$img_bin" --config-file="$img_ini" --dump-config >"$work/img.dump" 2>&1 || { cat "$work/img.dump"; fail "the image's binary does not start"; }
    python3 "$repo/tests/deploy/check_caf_dump.py" "$img_ini" "$work/img.dump" || fail "the image's binary does not read its default config"
    ok "the stage's binary runs and reads the image's default /etc/kstream-app/caf-application.ini"
  fi
else
  echo "note: C++ build dependencies missing, the context is not configured (make setup installs them)"
fi
done_checks
