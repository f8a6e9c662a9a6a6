"""The local Apache Kafka cluster: N KRaft nodes started with ``java`` from the Maven jars.

``start(nodes)`` plans the cluster (``broker/cluster.py``) the first time, renders each node's
``server.properties``, formats its storage once with the ``admin`` super user's SCRAM credential,
starts ``kafka.Kafka`` for every node and returns when all of them are registered and a
SCRAM-authenticated client has created and described a topic. ``stop()`` stops every node
cleanly. One node can be stopped, restarted, killed (SIGKILL) or paused (SIGSTOP) alone: that is
the API a fault suite drives. ``LocalCluster`` does it for any run folder and ports (a throwaway
test cluster); the module functions act on the environment's (``BACKBONE_RUN_DIR``,
``BACKBONE_KAFKA_PORT``, ``BACKBONE_KAFKA_CONTROLLER_PORT``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Template

from backbone.broker import jvm
from backbone.broker.cluster import ClusterError, ClusterSpec, Node, read_spec, spec_file
from backbone.broker.jvm import DEPLOY_DIR as DEPLOY_DIR
from backbone.broker.jvm import BrokerError as BrokerError
from backbone.broker.replication import Replication
from backbone.broker.settings import KafkaSettings, local_client_port, local_controller_port
from backbone.paths import private_dir, run_dir, write_private

READY_TOPIC = "backbone.broker-ready"


@dataclass(frozen=True)
class NodeStatus:
    node_id: int
    pid: int | None
    port: int
    running: bool
    rss_mib: float | None


def wait_ready(
    settings: KafkaSettings, timeout: float = 90.0, brokers: Collection[int] = ()
) -> None:
    """Return when ``brokers`` (ids) are registered and ``settings``' principal can create and
    describe a topic."""
    from kafka.admin import KafkaAdminClient
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    deadline = time.monotonic() + timeout
    last: Exception | str | None = None
    while time.monotonic() < deadline:
        if not any(jvm.listening(address) for address in settings.bootstrap.split(",")):
            time.sleep(0.2)  # no node listens yet: a client would log every refused connection
            continue
        try:
            admin = KafkaAdminClient(
                **settings.kafka_python(), request_timeout_ms=5000, bootstrap_timeout_ms=5000
            )
            try:
                brokers_now = admin.describe_cluster()["brokers"]
                registered = {b["broker_id"] for b in brokers_now if not b.get("is_fenced")}
                if not set(brokers) <= registered:
                    last = f"registered brokers {sorted(registered)}, waiting for {sorted(brokers)}"
                    time.sleep(0.5)
                    continue
                factor = Replication(max(1, len(brokers))).factor
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics(
                        {READY_TOPIC: {"num_partitions": 1, "replication_factor": factor}}
                    )
                described = admin.describe_topics([READY_TOPIC])
                if described and described[0]["error_code"] == 0:
                    return
            finally:
                admin.close()
        except (KafkaError, OSError) as exc:
            last = exc
        time.sleep(0.5)
    raise BrokerError(f"the broker did not become ready in {timeout:.0f}s: {last!r}")


class LocalCluster:
    """The nodes of one run folder; ports are those of ``cluster.json`` once it exists."""

    def __init__(self, root: Path, client_port: int, controller_port: int) -> None:
        self.root = root
        self.kafka_dir = root / "kafka"
        self.client_port = client_port
        self.controller_port = controller_port

    @classmethod
    def from_env(cls) -> LocalCluster:
        return cls(run_dir(), local_client_port(), local_controller_port())

    # -- what is on disk ---------------------------------------------------------------------

    def spec(self) -> ClusterSpec | None:
        return read_spec(self.kafka_dir)

    def _require_spec(self) -> ClusterSpec:
        spec = self.spec()
        if spec is None:
            raise ClusterError(f"no cluster in {self.kafka_dir}: run `backbone broker start`")
        return spec

    def node_dir(self, node_id: int) -> Path:
        return private_dir(self.kafka_dir / f"node-{node_id}")

    def _pid_file(self, node_id: int) -> Path:
        return self.node_dir(node_id) / "broker.pid"

    def _secret(self, name: str) -> str:
        """A generated secret of the local cluster, created on first use, owner-readable."""
        path = self.root / "secrets" / name
        if not path.exists():
            write_private(path, secrets.token_urlsafe(32).encode())
        return path.read_text().strip()

    def admin_settings(self) -> KafkaSettings:
        bootstrap = self._require_spec().bootstrap
        return KafkaSettings(bootstrap, "admin", self._secret("kafka-admin.password"))

    def pid(self, node_id: int) -> int | None:
        try:
            pid = int(self._pid_file(node_id).read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if jvm.alive(pid) else None

    def statuses(self) -> list[NodeStatus]:
        spec = self.spec()
        if spec is None:
            return []
        result = []
        for node in spec.nodes:
            pid = self.pid(node.node_id)
            rss = jvm.rss_mib(pid) if pid else None
            result.append(NodeStatus(node.node_id, pid, node.port, pid is not None, rss))
        return result

    # -- preparing nodes ---------------------------------------------------------------------

    def _plan(self, nodes: int | None) -> ClusterSpec:
        spec = self.spec() or self._adopt_single_node()
        if spec is None:
            spec = ClusterSpec.plan(nodes or 1, self.client_port, self.controller_port)
            write_private(spec_file(self.kafka_dir), spec.to_json().encode())
        elif nodes is not None and nodes != len(spec.nodes):
            raise BrokerError(
                f"{self.kafka_dir} holds a cluster of {len(spec.nodes)} node(s), not {nodes}: "
                "stop it and remove that folder to start another size"
            )
        return spec

    def _adopt_single_node(self) -> ClusterSpec | None:
        """Move a broker of the one-node layout (``kafka/data``) to ``kafka/node-1/data``."""
        legacy = self.kafka_dir / "data"
        meta = legacy / "meta.properties"
        if not meta.exists():
            return None
        pid_file = self.kafka_dir / "broker.pid"
        with contextlib.suppress(FileNotFoundError, ValueError):
            if jvm.alive(int(pid_file.read_text())):
                raise BrokerError(
                    f"a broker of the one-node layout runs ({pid_file}): `backbone broker stop`"
                )
        fields = dict(line.split("=", 1) for line in meta.read_text().splitlines() if "=" in line)
        port, controller = self.client_port, self.controller_port
        spec = ClusterSpec(fields["cluster.id"], (Node(1, port, controller, ""),))
        legacy.rename(self.node_dir(1) / "data")
        pid_file.unlink(missing_ok=True)
        (self.kafka_dir / "server.properties").unlink(missing_ok=True)  # it held the secrets
        write_private(spec_file(self.kafka_dir), spec.to_json().encode())
        return spec

    def _render(self, spec: ClusterSpec, node: Node) -> Path:
        template = Template((DEPLOY_DIR / "server.properties.in").read_text())
        text = template.substitute(
            process_roles="broker,controller",
            node_id=node.node_id,
            client_port=node.port,
            controller_listener=f",CONTROLLER://127.0.0.1:{node.controller_port}",
            quorum_bootstrap=spec.quorum_bootstrap,
            admin_user="admin",
            admin_password=self._secret("kafka-admin.password"),
            controller_password=self._secret("kafka-controller.password"),
            data_dir=self.node_dir(node.node_id) / "data",
            **Replication(len(spec.nodes)).server_properties(),
        )
        path = self.node_dir(node.node_id) / "server.properties"
        write_private(path, text.encode())
        return path

    @contextlib.contextmanager
    def format_command(self, spec: ClusterSpec, node: Node) -> Iterator[list[str]]:
        """The command that formats ``node``'s storage with the ``admin`` user's SCRAM
        credential, valid inside the block. The tool's arguments, the password among them, are
        in an owner-only argument file in the node's folder (``jvm.argument_file``) until the
        block ends: the command line names only that file. ``-XX:-UsePerfData``: the JVM does
        not copy its expanded command into ``/tmp/hsperfdata_<user>`` either."""
        quorum = (
            ["--standalone"]
            if len(spec.nodes) == 1
            else ["--initial-controllers", spec.initial_controllers]
        )
        password = self._secret("kafka-admin.password")
        properties = self._render(spec, node)
        args = ["kafka.tools.StorageTool", "format", "-t", spec.cluster_id]
        args += ["-c", str(properties), *quorum]
        args += ["--add-scram", f"SCRAM-SHA-512=[name=admin,password={password}]"]
        folder = self.node_dir(node.node_id)
        with jvm.argument_file(folder, *args) as arguments:
            yield jvm.java(folder / "logs", "-XX:-UsePerfData", arguments)

    def _format(self, spec: ClusterSpec, nodes: list[Node]) -> None:
        """Format the storage of ``nodes`` not yet formatted, all at once; each argument file
        is removed once every tool has exited, whether they succeeded or not."""
        pending = [
            node
            for node in nodes
            if not (self.node_dir(node.node_id) / "data" / "meta.properties").exists()
        ]
        failures = []
        with contextlib.ExitStack() as files:
            running: list[subprocess.Popen[str]] = []
            try:
                for node in pending:
                    command = files.enter_context(self.format_command(spec, node))
                    running.append(
                        subprocess.Popen(
                            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                        )
                    )
            finally:
                for process in running:
                    output, _ = process.communicate()
                    if process.returncode != 0:
                        failures.append(output)
        if failures:
            raise BrokerError(f"formatting KRaft storage failed: {failures[0]}")

    def _launch(self, spec: ClusterSpec, node: Node) -> None:
        deadline = time.monotonic() + 5.0  # a node killed a moment ago may still hold its ports
        while time.monotonic() < deadline and (
            jvm.port_open(node.port) or jvm.port_open(node.controller_port)
        ):
            time.sleep(0.2)
        if jvm.port_open(node.port) or jvm.port_open(node.controller_port):
            raise BrokerError(
                f"ports {node.port}/{node.controller_port} of node {node.node_id} are taken by "
                "another process; set BACKBONE_KAFKA_PORT and BACKBONE_KAFKA_CONTROLLER_PORT"
            )
        properties = self._render(spec, node)
        folder = self.node_dir(node.node_id)
        with (folder / "broker.out").open("ab") as log:
            process = subprocess.Popen(
                jvm.java(folder / "logs", "kafka.Kafka", str(properties)),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._pid_file(node.node_id).write_text(str(process.pid))

    def _wait(self, node_ids: Collection[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            exited = [i for i in node_ids if self.pid(i) is None]
            if exited:
                raise BrokerError(
                    f"node(s) {exited} exited during start; see "
                    f"{self.kafka_dir}/node-<id>/broker.out and logs/"
                )
            spec = self._require_spec()
            if not all(jvm.port_open(spec.node(i).port) for i in node_ids):
                if time.monotonic() > deadline:
                    raise BrokerError(f"node(s) {list(node_ids)} did not listen in {timeout:.0f}s")
                time.sleep(0.2)
                continue
            try:
                wait_ready(self.admin_settings(), 5.0, node_ids)
                return
            except BrokerError:
                if time.monotonic() > deadline:
                    raise

    # -- the API -----------------------------------------------------------------------------

    def start(self, nodes: int | None = None, timeout: float = 90.0) -> list[NodeStatus]:
        """Start every node that is not running; return once all serve clients."""
        spec = self._plan(nodes)
        stopped = [n for n in spec.nodes if self.pid(n.node_id) is None]
        self._format(spec, stopped)
        for node in stopped:
            self._launch(spec, node)
        try:
            self._wait([n.node_id for n in spec.nodes], timeout)
        except BrokerError:
            for node in stopped:
                self.stop_node(node.node_id)
            raise
        return self.statuses()

    def start_node(self, node_id: int, timeout: float = 90.0) -> NodeStatus:
        """Start one stopped or killed node; return once the cluster lists it again."""
        spec = self._require_spec()
        node = spec.node(node_id)
        if self.pid(node_id) is None:
            self._format(spec, [node])
            self._launch(spec, node)
        self._wait([node_id], timeout)
        return next(s for s in self.statuses() if s.node_id == node_id)

    def stop_node(self, node_id: int, timeout: float = 30.0) -> None:
        """Stop one node cleanly (SIGTERM), killing it only if it does not exit in time."""
        self._require_spec().node(node_id)
        self._stop_pids([node_id], timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every node at once: each shuts down while the others' controllers still answer."""
        spec = self.spec()
        self._stop_pids([n.node_id for n in spec.nodes] if spec else [], timeout)
        self._stop_single_node_layout(timeout)

    def _stop_single_node_layout(self, timeout: float) -> None:
        """Stop a broker still running from the former one-node layout (``kafka/broker.pid``)."""
        pid_file = self.kafka_dir / "broker.pid"
        with contextlib.suppress(FileNotFoundError, ValueError):
            pid = int(pid_file.read_text())
            if jvm.alive(pid):
                os.kill(pid, signal.SIGTERM)
                if not jvm.wait_exit(pid, timeout):
                    os.kill(pid, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)

    def _stop_pids(self, node_ids: list[int], timeout: float) -> None:
        pids = {i: self.pid(i) for i in node_ids}
        for pid in filter(None, pids.values()):
            os.kill(pid, signal.SIGCONT)  # a paused node cannot handle SIGTERM
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for pid in filter(None, pids.values()):
            if not jvm.wait_exit(pid, max(0.0, deadline - time.monotonic())):
                os.kill(pid, signal.SIGKILL)
                jvm.wait_exit(pid, 10.0)
        for node_id in node_ids:
            self._pid_file(node_id).unlink(missing_ok=True)

    def kill_node(self, node_id: int) -> None:
        """SIGKILL one node (a crash: no controlled shutdown, nothing flushed)."""
        pid = self.pid(node_id)
        if pid is None:
            raise BrokerError(f"node {node_id} is not running")
        os.kill(pid, signal.SIGKILL)
        jvm.wait_exit(pid, 10.0)
        self._pid_file(node_id).unlink(missing_ok=True)

    def pause_node(self, node_id: int) -> None:
        """SIGSTOP one node: it keeps its sockets but answers nothing until resumed."""
        pid = self.pid(node_id)
        if pid is None:
            raise BrokerError(f"node {node_id} is not running")
        os.kill(pid, signal.SIGSTOP)

    def resume_node(self, node_id: int) -> None:
        pid = self.pid(node_id)
        if pid is None:
            raise BrokerError(f"node {node_id} is not running")
        os.kill(pid, signal.SIGCONT)


def start(nodes: int | None = None, timeout: float = 90.0) -> list[NodeStatus]:
    return LocalCluster.from_env().start(nodes, timeout)


def stop(timeout: float = 30.0) -> None:
    LocalCluster.from_env().stop(timeout)


def statuses() -> list[NodeStatus]:
    return LocalCluster.from_env().statuses()


def running() -> bool:
    """Whether every node of the environment's cluster runs (False when there is none)."""
    nodes = statuses()
    return bool(nodes) and all(n.running for n in nodes)


def start_node(node_id: int, timeout: float = 90.0) -> NodeStatus:
    return LocalCluster.from_env().start_node(node_id, timeout)


def stop_node(node_id: int, timeout: float = 30.0) -> None:
    LocalCluster.from_env().stop_node(node_id, timeout)


def kill_node(node_id: int) -> None:
    LocalCluster.from_env().kill_node(node_id)


def pause_node(node_id: int) -> None:
    LocalCluster.from_env().pause_node(node_id)


def resume_node(node_id: int) -> None:
    LocalCluster.from_env().resume_node(node_id)
