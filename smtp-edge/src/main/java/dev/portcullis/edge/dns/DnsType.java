package dev.portcullis.edge.dns;

import io.netty.handler.codec.dns.DnsRecordType;

/** The record types the restrictions ask for. */
public enum DnsType {
    A(DnsRecordType.A),
    AAAA(DnsRecordType.AAAA),
    MX(DnsRecordType.MX),
    TXT(DnsRecordType.TXT),
    PTR(DnsRecordType.PTR);

    final DnsRecordType netty;

    DnsType(DnsRecordType netty) {
        this.netty = netty;
    }
}
