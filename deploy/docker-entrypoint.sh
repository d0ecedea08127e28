#!/bin/sh
# Entry point of the Dayaq image. $SERVICE (intake, plans, assets or monitoring) selects the app.
#
#   serve     (default) the service's API on 0.0.0.0:$PORT (8000)
#   migrate   migrate the service's own database, read from <SERVICE>_DATABASE_URL (the
#             Kubernetes migration Job); the database must exist
#   anything else runs as a command, e.g. `dayaq migrate` (every service, from DATABASE_URL)
set -eu

require_service() {
    case "${SERVICE:-}" in
        intake | plans | assets | monitoring) ;;
        *)
            echo "docker-entrypoint: set SERVICE to intake, plans, assets or monitoring" >&2
            exit 64
            ;;
    esac
}

case "${1:-serve}" in
    serve)
        require_service
        # <SERVICE>_WORKERS processes (1 unless set; one per core the container may use), and
        # replicas beyond. Several workers count their metrics in one folder, emptied first,
        # and one of them serves the sum. uvloop and httptools are picked up when installed.
        # The graceful timeout stays inside the pod's termination grace period.
        eval "workers=\${$(echo "$SERVICE" | tr '[:lower:]' '[:upper:]')_WORKERS:-1}"
        if [ "$workers" -gt 1 ]; then
            export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/dayaq-metrics}"
            rm -rf "$PROMETHEUS_MULTIPROC_DIR"
            mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        fi
        exec python -m uvicorn "${SERVICE}.main:create_app" --factory \
            --host 0.0.0.0 --port "${PORT:-8000}" --workers "$workers" \
            --lifespan on --timeout-graceful-shutdown 20
        ;;
    migrate)
        require_service
        exec python -c '
import os
from shared.migrations import upgrade

service = os.environ["SERVICE"]
variable = service.upper() + "_DATABASE_URL"
if not os.environ.get(variable):
    raise SystemExit(f"docker-entrypoint: set {variable}")
print(f"docker-entrypoint: migrating {service}", flush=True)
upgrade(service, os.environ[variable])
'
        ;;
    *)
        exec "$@"
        ;;
esac
