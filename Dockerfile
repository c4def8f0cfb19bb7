# Airflow image with the airflow-idu provider installed.
#
#   docker build -t airflow-idu:local .       (docker compose up builds it for you)
#
# Extends the official image (tag format apache/airflow:<airflow version>-python<python version>) and
# installs the provider pinned by the committed constraints.txt, so the image gets the same
# dependency versions the test suite ran against. constraints.txt pins apache-airflow to the base
# image's version, so pip never up- or downgrades Airflow inside the image.
FROM apache/airflow:3.3.2-python3.11

# Source dir for the build, plus the mount points of the compose named volumes: a fresh named
# volume takes over the ownership of the image directory it is mounted on, so creating them here
# (owned by the airflow user, uid 50000) means the containers can write to them without a root step.
USER root
RUN install -d -o airflow -g root /opt/airflow/idu-src /opt/airflow/data /opt/airflow/auth /opt/airflow/logs
USER airflow
WORKDIR /opt/airflow/idu-src

# Layer 1 — dependencies only. It depends on pyproject.toml and constraints.txt alone (the package
# is an empty stub here), so editing airflow_idu/ does not re-download DuckDB, the Databricks
# provider and friends.
# IDU_EXTRAS: optional extras, e.g. spark-connect for the spark_connect engine (docs/spark-connect.md).
ARG IDU_EXTRAS=""
COPY --chown=airflow:root pyproject.toml constraints.txt README.md ./
RUN mkdir airflow_idu && touch airflow_idu/__init__.py \
    && pip install --no-cache-dir -c constraints.txt . \
    && if [ -n "$IDU_EXTRAS" ]; then pip install --no-cache-dir -c constraints.txt ".[$IDU_EXTRAS]"; fi \
    && rm -rf airflow_idu build ./*.egg-info

# Layer 2 — the provider itself (no dependency resolution: layer 1 installed them all).
COPY --chown=airflow:root airflow_idu/ airflow_idu/
RUN pip install --no-cache-dir -c constraints.txt --no-deps --force-reinstall . \
    && rm -rf build ./*.egg-info \
    && airflow-idu --help >/dev/null

WORKDIR /opt/airflow
