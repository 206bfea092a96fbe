"""AF_INET6 sockets (net/ipv6/af_inet6.c).

The v6 family shares the inet code of net/ipv4/: addresses are kept as 16 bytes
(IPv4 ones v4-mapped), so a v6 socket without IPV6_V6ONLY bound to :: also takes IPv4
connections and datagrams, as on Linux. This module is the family's entry in the socket
table: inet6_create with the v6 protocol switch (SOCK_DGRAM's ICMPv6 ping instead of ICMP).
"""
from glasskernel.net.ipv4.af_inet import AF_INET6, inet_create


def inet6_create(task, type_: int, protocol: int):
    """socket(AF_INET6, ...): the same type/protocol rules as AF_INET."""
    return inet_create(task, AF_INET6, type_, protocol)
