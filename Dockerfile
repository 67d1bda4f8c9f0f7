# One image for every process of the suite; the Deployment's command picks the entrypoint
# (python -m gateway, python -m services.<name>..., python -m servicekit.outbox, migrations).
# The admin console's static files (served by the gateway at /console/).
FROM node:20-slim AS console
WORKDIR /console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console/ ./
RUN npm run build

FROM python:3.11-slim AS build
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir --prefix=/install .
COPY . .
RUN PYTHONPATH=/install/lib/python3.11/site-packages python tools/gen_protos.py

FROM python:3.11-slim
COPY --from=build /install /usr/local
COPY --from=build /app /app
COPY --from=console /console/dist /app/console/dist
WORKDIR /app
ENV PYTHONPATH=/app:/app/gen \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001
