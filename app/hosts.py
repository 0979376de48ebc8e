"""The names and addresses this machine is reached by: what the Host check accepts, and what the
teacher's ``cnn-playground --host 0.0.0.0`` prints for the students to type.

Standard library only: ``socket.getaddrinfo(socket.gethostname())`` and, on Linux, the interface
tables in ``/proc`` (IPv6) and the ``SIOCGIFADDR`` ioctl on every interface (IPv4).
"""

import ipaddress
import socket
import struct
import sys
from pathlib import Path

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")
_SIOCGIFADDR = 0x8915
_IF_INET6 = Path("/proc/net/if_inet6")


def _getaddrinfo_addresses() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return []
    return [info[4][0] for info in infos]


def _linux_ipv4_addresses() -> list[str]:
    """Each interface's IPv4 address (the ioctl ``ip addr`` uses)."""
    if not sys.platform.startswith("linux"):
        return []
    import fcntl  # noqa: PLC0415 (POSIX only)

    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            try:
                answer = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            except OSError:  # an interface without an IPv4 address
                continue
            found.append(socket.inet_ntoa(answer[20:24]))
    return found


def _linux_ipv6_addresses(table: Path = _IF_INET6) -> list[str]:
    """Every IPv6 address in ``/proc/net/if_inet6`` (32 hex digits first on each line)."""
    try:
        lines = table.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        digits = line.split()[0] if line.split() else ""
        if len(digits) == 32:
            found.append(str(ipaddress.IPv6Address(bytes.fromhex(digits))))
    return found


def machine_addresses(sources=None) -> list[str]:
    """This machine's addresses that another machine can reach: no loopback, no link-local (a browser
    cannot use an IPv6 address that needs a zone), no duplicates; IPv4 first.

    ``sources`` (for tests) replaces the functions that list raw addresses.
    """
    sources = sources if sources is not None else (_getaddrinfo_addresses, _linux_ipv4_addresses, _linux_ipv6_addresses)
    seen: dict[str, ipaddress.IPv4Address | ipaddress.IPv6Address] = {}
    for source in sources:
        for text in source():
            try:
                address = ipaddress.ip_address(text.split("%")[0])
            except ValueError:
                continue
            if not (address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast):
                seen.setdefault(str(address), address)
    return sorted(seen, key=lambda a: (seen[a].version, seen[a]))


def machine_names() -> list[str]:
    """The machine's host names: its own, its fully qualified one, and ``NAME.local`` (mDNS)."""
    name = socket.gethostname()
    names = [name, f"{name}.local"] if name else []
    try:
        names.append(socket.getfqdn())
    except OSError:
        pass
    return list(dict.fromkeys(n.lower() for n in names if n and n != "localhost"))


def url_host(address: str) -> str:
    """An address as it appears in a URL or a Host header: IPv6 in brackets."""
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


def student_urls(port: int, addresses: list[str] | None = None) -> list[str]:
    """``http://ADDR:PORT/`` for every address of this machine another machine can reach."""
    return [f"http://{url_host(a)}:{port}/" for a in (machine_addresses() if addresses is None else addresses)]


def allowed_hosts(listen_host: str, extra: list[str]) -> list[str]:
    """The Host names the server accepts (no ports): loopback always; what it listens on; on a
    wildcard address, every address and name of the machine; then ``extra`` (``*``: anything)."""
    hosts = list(LOOPBACK_HOSTS)
    if listen_host in WILDCARD_ADDRESSES:
        hosts += [url_host(a) for a in machine_addresses()] + machine_names()
    else:
        hosts.append(url_host(listen_host))
    hosts += extra
    return list(dict.fromkeys(h.lower() for h in hosts))
