"""A private Redis Cluster for the tests: three masters and three replicas on loopback.

Six `redis-server --cluster-enabled yes` processes in a temporary directory, joined by
`redis-cli --cluster create`; every process is stopped by its own PID, never by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SLOTS = 16384


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports of 127.0.0.1 (held together while chosen, so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def command(port: int, *args: str, timeout: float = 1.0) -> str:
    """One command to one node over a raw socket; its string or integer reply as text.

    Errors raise RuntimeError; array replies are not read here (ValueError).
    """
    request = f"*{len(args)}\r\n" + "".join(f"${len(arg.encode())}\r\n{arg}\r\n" for arg in args)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request.encode())
        reader = sock.makefile("rb")
        header = reader.readline()
        if header.startswith(b"$"):
            size = int(header[1:])
            return "" if size < 0 else reader.read(size + 2)[:-2].decode()
        if header.startswith(b"-"):
            raise RuntimeError(header[1:].decode().strip())
        if header.startswith(b"*"):
            raise ValueError("array replies are not read by this helper")
        return header[1:].decode().strip()


@dataclass
class Node:
    """One cluster node: its client port, its bus port and its process."""

    port: int
    bus_port: int
    process: subprocess.Popen[bytes]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def pause(self) -> None:
        """SIGSTOP: the node keeps its connections but answers nothing (keep it under 2 s,
        the node timeout, or the others mark it failed)."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def info(self, section: str) -> dict[str, str]:
        text = command(self.port, "INFO", section)
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def cluster_info(self) -> dict[str, str]:
        text = command(self.port, "CLUSTER", "INFO")
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def node_id(self) -> str:
        return command(self.port, "CLUSTER", "MYID")


@dataclass
class Peer:
    """One line of CLUSTER NODES, as one node sees the cluster."""

    node_id: str
    port: int
    flags: frozenset[str]
    master_id: str
    slots: int

    @property
    def serving(self) -> bool:
        """A master that holds slots and is not marked failed."""
        return "master" in self.flags and "fail" not in self.flags and self.slots > 0


def _slot_count(fields: list[str]) -> int:
    count = 0
    for field in fields:
        if field.startswith("["):  # a slot being migrated
            continue
        first, _, last = field.partition("-")
        count += int(last or first) - int(first) + 1
    return count


def peers(port: int) -> list[Peer]:
    """The cluster as the node on `port` sees it."""
    seen = []
    for line in command(port, "CLUSTER", "NODES").splitlines():
        node_id, address, flags, master, *_rest = line.split()
        seen.append(
            Peer(
                node_id=node_id,
                port=int(address.split("@")[0].rpartition(":")[2]),
                flags=frozenset(flags.split(",")),
                master_id=master,
                slots=_slot_count(line.split()[8:]),
            )
        )
    return seen


class RedisCluster:
    """Six nodes (three masters, each with a replica), started in about two seconds."""

    def __init__(self, directory: Path | None = None) -> None:
        self._own_directory = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="skim-cluster-"))
        self.nodes: list[Node] = []
        self.killed: list[str] = []  # node ids of masters killed by kill_master

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self, timeout: float = 20.0) -> None:
        missing = [tool for tool in ("redis-server", "redis-cli") if shutil.which(tool) is None]
        if missing:
            raise RuntimeError(f"a Redis Cluster for the tests needs {' and '.join(missing)}")
        self.directory.mkdir(parents=True, exist_ok=True)
        ports = free_ports(12)  # a client port and a bus port for each node
        try:
            for port, bus_port in zip(ports[:6], ports[6:], strict=True):
                self.nodes.append(Node(port, bus_port, self._spawn(port, bus_port)))
            deadline = time.monotonic() + timeout
            for node in self.nodes:
                self._wait(lambda node=node: _answers(node.port), deadline, "a node to start")
            subprocess.run(
                [
                    "redis-cli",
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{node.port}" for node in self.nodes),
                    "--cluster-replicas",
                    "1",
                    "--cluster-yes",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=timeout,
            )
            self._wait(self._settled, deadline, "the cluster to settle")
        except BaseException:
            self.stop()
            raise

    def _spawn(self, port: int, bus_port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                "redis-server",
                "--port", str(port),
                "--cluster-port", str(bus_port),
                "--bind", "127.0.0.1",
                "--cluster-enabled", "yes",
                "--cluster-config-file", f"nodes-{port}.conf",
                "--cluster-node-timeout", "2000",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                # A replica's first sync starts at once (the default waits 5 s for others).
                "--repl-diskless-sync-delay", "0",
                "--dir", str(self.directory),
                "--logfile", f"node-{port}.log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    @staticmethod
    def _wait(condition: Callable[[], bool], deadline: float, what: str) -> None:
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def _settled(self) -> bool:
        """Every live node says ok and sees every slot served, and every replica is in sync."""
        try:
            for node in self.live():
                if node.cluster_info().get("cluster_state") != "ok":
                    return False
                if sum(peer.slots for peer in peers(node.port) if peer.serving) != SLOTS:
                    return False
                replication = node.info("replication")
                if replication.get("role") == "slave" and (
                    replication.get("master_link_status") != "up"
                    or replication.get("master_sync_in_progress") != "0"
                    or not _online_at_master(node.port, int(replication["master_port"]))
                ):
                    return False
        except (OSError, RuntimeError):
            return False
        return True

    def node(self, port: int) -> Node:
        return next(node for node in self.nodes if node.port == port)

    def live(self) -> list[Node]:
        return [node for node in self.nodes if node.alive]

    def masters(self) -> list[Node]:
        """The live masters that serve slots, in the order they were started.

        `redis-cli --cluster create` makes the first three nodes masters, so until a failover
        `masters()[0]` is the node `url` names: the client's first contact.
        """
        serving = {peer.port for peer in peers(self.live()[0].port) if peer.serving}
        return [node for node in self.live() if node.port in serving]

    def replica_of(self, master_port: int) -> Node:
        """The live replica of the master on `master_port`, as the master itself reports it
        (another node's view of who replicates whom can lag behind, by gossip)."""
        replica = self.node(master_port).info("replication")["slave0"]
        fields = dict(field.split("=", 1) for field in replica.split(","))
        return self.node(int(fields["port"]))

    def kill_master(self, index: int = 0) -> Node:
        """SIGKILL one master (no shutdown courtesy: its clients see connections reset)."""
        master = self.masters()[index]
        self.killed.append(master.node_id())
        master.process.kill()
        master.process.wait()
        return master

    def _failed_over(self) -> bool:
        """Settled, and no killed master still holds slots in any live node's view."""
        if not self._settled():
            return False
        try:
            return all(
                peer.slots == 0
                for node in self.live()
                for peer in peers(node.port)
                if peer.node_id in self.killed
            )
        except (OSError, RuntimeError):
            return False

    def wait_for_failover(self, timeout: float = 15.0) -> float:
        """Block until the killed masters' replicas serve their slots; the seconds it took."""
        started = time.monotonic()
        self._wait(self._failed_over, started + timeout, "the failover")
        return time.monotonic() - started

    async def await_failover(self, timeout: float = 15.0) -> float:
        """`wait_for_failover` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for_failover, timeout)

    def stop(self) -> None:
        """Kill every node by its PID and remove the directory."""
        for node in self.nodes:
            if node.alive:
                node.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.process.wait(timeout=5)
        self.nodes = []
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def _online_at_master(replica_port: int, master_port: int) -> bool:
    """Whether the master counts the replica as online: the replica may see its link up a
    moment before the master has its first acknowledgement, and until then WAIT and ROLE on
    the master do not count it."""
    text = command(master_port, "INFO", "replication")
    return any(
        f"port={replica_port}," in line and "state=online" in line
        for line in text.splitlines()
        if line.startswith("slave")
    )


def _answers(port: int) -> bool:
    try:
        return command(port, "PING", timeout=0.5) == "PONG"
    except (OSError, RuntimeError):
        return False
