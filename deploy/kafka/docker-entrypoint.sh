#!/bin/sh
# Start one of the backbone's KRaft nodes inside the apache/kafka image: one node alone
# (docker-compose.yml and the testcontainers path of the test harness) or one node of a cluster
# (deploy/compose/cluster.yml). It renders the same server.properties.in as the local broker,
# sets what a container or a cluster changes, formats storage once with the admin's SCRAM
# credential and starts kafka.Kafka.
#
# Needs KAFKA_ADMIN_PASSWORD and KAFKA_CONTROLLER_PASSWORD (letters, digits, '-' and '_' only);
# nothing is defaulted. KAFKA_ADVERTISED_HOST (default localhost) is what clients dial.
# A cluster node also needs (all unset: one node, as before):
#   KAFKA_NODE_ID                    this node's id (1, 2, 3)
#   KAFKA_CONTROLLER_QUORUM_VOTERS   the static quorum, e.g. 1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
#   KAFKA_CLUSTER_ID                 the same on every node (kafka-storage.sh random-uuid)
#   KAFKA_REPLICATION_FACTOR         default and internal topics' replication (default 1)
#   KAFKA_MIN_INSYNC_REPLICAS        default and internal topics' min.insync.replicas (default 1)
# Every node of the compose cluster is broker and controller (combined mode). Its quorum is static
# (controller.quorum.voters, storage formatted without --standalone): the containers know their
# voters by name before any of them starts, where the local cluster of `backbone broker start`
# formats a dynamic quorum with the directory ids it generated.
set -eu
: "${KAFKA_ADMIN_PASSWORD:?set KAFKA_ADMIN_PASSWORD}"
: "${KAFKA_CONTROLLER_PASSWORD:?set KAFKA_CONTROLLER_PASSWORD}"
case "$KAFKA_ADMIN_PASSWORD$KAFKA_CONTROLLER_PASSWORD" in
  *[!A-Za-z0-9_-]*) echo "passwords may hold only letters, digits, '-' and '_'" >&2; exit 2 ;;
esac
host="${KAFKA_ADVERTISED_HOST:-localhost}"
voters="${KAFKA_CONTROLLER_QUORUM_VOTERS:-}"
node_id="${KAFKA_NODE_ID:-1}"
replication="${KAFKA_REPLICATION_FACTOR:-1}"
min_isr="${KAFKA_MIN_INSYNC_REPLICAS:-1}"
data=/var/lib/kafka/data
props=/tmp/server.properties
umask 077
# The passwords reach sed in a script file (owner-only, removed at once), never on its command
# line, which any user of the host can read (ps, /proc/<pid>/cmdline).
secrets_script=$(mktemp)
cat > "$secrets_script" <<EOF
s#\${admin_password}#${KAFKA_ADMIN_PASSWORD}#g
s#\${controller_password}#${KAFKA_CONTROLLER_PASSWORD}#g
EOF
sed -e "s#\${client_port}#9092#g" \
    -e "s#\${controller_port}#9093#g" \
    -e "s#\${process_roles}#broker,controller#g" \
    -e "s#\${node_id}#${node_id}#g" \
    -e "s#\${quorum_bootstrap}#127.0.0.1:9093#g" \
    -e "s#\${controller_listener}#,CONTROLLER://127.0.0.1:9093#g" \
    -e "s#\${replication_factor}#${replication}#g" \
    -e "s#\${min_insync_replicas}#${min_isr}#g" \
    -e "s#\${admin_user}#admin#g" \
    -f "$secrets_script" \
    -e "s#\${data_dir}#${data}#g" \
    -e "s#^listeners=SASL_PLAINTEXT://127.0.0.1:9092#listeners=SASL_PLAINTEXT://0.0.0.0:9092#" \
    -e "s#^advertised.listeners=SASL_PLAINTEXT://127.0.0.1:9092#advertised.listeners=SASL_PLAINTEXT://${host}:9092#" \
    /etc/backbone/server.properties.in > "$props" || { rm -f "$secrets_script"; exit 2; }
rm -f "$secrets_script"

# set_property KEY VALUE: the property's one line, whatever the template wrote for it.
set_property() {
  sed -i "/^$(printf '%s' "$1" | sed 's/\./\\./g')=/d" "$props"
  printf '%s=%s\n' "$1" "$2" >> "$props"
}

for key in default.replication.factor offsets.topic.replication.factor \
           transaction.state.log.replication.factor share.coordinator.state.topic.replication.factor; do
  set_property "$key" "$replication"
done
for key in min.insync.replicas transaction.state.log.min.isr share.coordinator.state.topic.min.isr; do
  set_property "$key" "$min_isr"
done

if [ -n "$voters" ]; then
  : "${KAFKA_NODE_ID:?set KAFKA_NODE_ID for a cluster node}"
  : "${KAFKA_CLUSTER_ID:?set KAFKA_CLUSTER_ID (the same on every node) for a cluster node}"
  sed -i '/^controller\.quorum\.bootstrap\.servers=/d' "$props"
  set_property node.id "$node_id"
  set_property process.roles broker,controller
  set_property controller.quorum.voters "$voters"
  set_property listeners "SASL_PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093"
  set_property advertised.listeners "SASL_PLAINTEXT://${host}:9092,CONTROLLER://${host}:9093"
  # The loopback single node's short broker session would fence a busy node of a real cluster.
  set_property broker.session.timeout.ms 9000
  set_property broker.heartbeat.interval.ms 2000
  cluster_id="$KAFKA_CLUSTER_ID"
  quorum=""
else
  cluster_id="${KAFKA_CLUSTER_ID:-$(/opt/kafka/bin/kafka-storage.sh random-uuid)}"
  quorum="--standalone"
fi

if grep -q '\${' "$props"; then
  echo "server.properties.in has a variable this entrypoint does not set:" >&2
  grep -o '\${[a-z_]*}' "$props" | sort -u >&2
  exit 2
fi
if [ ! -f "$data/meta.properties" ]; then
  # What kafka-storage.sh runs, with the tool's arguments (the admin password among them) in a
  # java argument file (owner-only, removed as soon as the tool exits, also on failure): the
  # command line names only the file. $quorum is one option or none.
  arguments=$(mktemp)
  cat > "$arguments" <<EOF
kafka.tools.StorageTool format $quorum -t $cluster_id -c $props
--add-scram SCRAM-SHA-512=[name=admin,password=${KAFKA_ADMIN_PASSWORD}]
EOF
  formatted=0
  /opt/kafka/bin/kafka-run-class.sh "@$arguments" || formatted=$?
  rm -f "$arguments"
  [ "$formatted" -eq 0 ] || exit "$formatted"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$props"
