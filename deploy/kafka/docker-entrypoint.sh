#!/bin/sh
# Start the backbone's KRaft broker inside the apache/kafka image (docker-compose.yml and the
# testcontainers path of the test harness). It renders the same server.properties.in as the local
# broker, formats storage once with the admin's SCRAM credential and starts kafka.Kafka.
#
# Needs KAFKA_ADMIN_PASSWORD and KAFKA_CONTROLLER_PASSWORD (letters, digits, '-' and '_' only);
# nothing is defaulted. KAFKA_ADVERTISED_HOST (default localhost) is what clients dial.
set -eu
: "${KAFKA_ADMIN_PASSWORD:?set KAFKA_ADMIN_PASSWORD}"
: "${KAFKA_CONTROLLER_PASSWORD:?set KAFKA_CONTROLLER_PASSWORD}"
case "$KAFKA_ADMIN_PASSWORD$KAFKA_CONTROLLER_PASSWORD" in
  *[!A-Za-z0-9_-]*) echo "passwords may hold only letters, digits, '-' and '_'" >&2; exit 2 ;;
esac
host="${KAFKA_ADVERTISED_HOST:-localhost}"
data=/var/lib/kafka/data
props=/tmp/server.properties
umask 077
sed -e "s#\${client_port}#9092#g" \
    -e "s#\${controller_port}#9093#g" \
    -e "s#\${admin_user}#admin#g" \
    -e "s#\${admin_password}#${KAFKA_ADMIN_PASSWORD}#g" \
    -e "s#\${controller_password}#${KAFKA_CONTROLLER_PASSWORD}#g" \
    -e "s#\${data_dir}#${data}#g" \
    -e "s#^listeners=SASL_PLAINTEXT://127.0.0.1:9092#listeners=SASL_PLAINTEXT://0.0.0.0:9092#" \
    -e "s#^advertised.listeners=SASL_PLAINTEXT://127.0.0.1:9092#advertised.listeners=SASL_PLAINTEXT://${host}:9092#" \
    /etc/backbone/server.properties.in > "$props"
if [ ! -f "$data/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format --standalone \
    -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c "$props" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${KAFKA_ADMIN_PASSWORD}]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$props"
