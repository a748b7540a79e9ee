"""The official Microsoft Graph Python SDK (msgraph-sdk, unchanged) against a local OpenTI.

Starts the real server on loopback with fixtures/all-kinds.ndjson, points the SDK's request
adapter at http://127.0.0.1:PORT/v1.0 with a static bearer token, and calls every GET request
builder the SDK has under security/threatIntelligence (items, lists, navigations, $count) with
query parameters, asserting on the typed objects the SDK deserialises. At the end the URL
templates called are compared with the templates of every request builder in the installed SDK:
all 121 must have been called.

Prints 'N passed, N failed' and exits non-zero on any failure.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
import harness  # noqa: E402

import msgraph  # noqa: E402
from kiota_abstractions.api_error import APIError  # noqa: E402
from kiota_abstractions.authentication import (  # noqa: E402
    AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider)
from kiota_abstractions.base_request_configuration import RequestConfiguration  # noqa: E402
from msgraph import GraphRequestAdapter, GraphServiceClient  # noqa: E402
from msgraph.generated.models.o_data_errors.o_data_error import ODataError  # noqa: E402
from msgraph.generated.models.security import (  # noqa: E402
    article, article_indicator, autonomous_system, content_format, cvss_summary,
    formatted_content, host_component, host_cookie, host_pair, host_port, host_port_banner,
    host_port_component, host_port_protocol, host_port_status, host_reputation,
    host_reputation_classification, host_reputation_rule, host_ssl_certificate, host_tracker,
    hostname, hyperlink, indicator_source, intelligence_profile, intelligence_profile_indicator,
    intelligence_profile_kind, ip_address, passive_dns_record, ssl_certificate,
    ssl_certificate_entity, subdomain, threat_intelligence, unclassified_artifact,
    vulnerability, vulnerability_component, vulnerability_severity, whois_contact,
    whois_history_record, whois_nameserver, whois_record)
from msgraph.generated.models.physical_address import PhysicalAddress  # noqa: E402

Hostname = hostname.Hostname
IpAddress = ip_address.IpAddress


class StaticTokenProvider(AccessTokenProvider):
    """A fixed bearer token for the loopback host only (Kiota's own providers insist on
    https; the SDK itself is used unchanged)."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._hosts = AllowedHostsValidator(["127.0.0.1"])

    async def get_authorization_token(self, uri: str, additional_authentication_context=None) -> str:
        return self._token if self._hosts.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


CALLED: set[str] = set()
RESULTS = {"passed": 0, "failed": 0}


def template(builder) -> str:
    """A builder's URL template without the base URL and query part."""
    return builder.url_template.replace("{+baseurl}", "").split("{?")[0]


async def call(builder, **qp):
    """GET through `builder` with the given query parameters; records its template."""
    CALLED.add(template(builder))
    cls = type(builder)
    params_cls = getattr(cls, cls.__name__ + "GetQueryParameters", None)
    config = None
    if qp:
        assert params_cls is not None, f"{cls.__name__} takes no query parameters"
        config = RequestConfiguration(query_parameters=params_cls(**qp))
    return await builder.get(request_configuration=config)


def check(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(what)


def is_utc_datetime(v) -> bool:
    return isinstance(v, dt.datetime) and v.tzinfo is not None and v.utcoffset() == dt.timedelta(0)


async def listed(builder, by_id: str, typ, *, top: int = 50, search: str | None = None,
                 select: list[str] | None = None, want_id: str | None = None):
    """Calls the list (with $top/$count/$select/$search), its $count and one item."""
    qp = {"top": top, "count": True}
    if search:
        qp["search"] = search
    if select:
        qp["select"] = select
    page = await call(builder, **qp)
    check(isinstance(page.value, list) and page.value, f"{template(builder)}: empty page")
    for v in page.value:
        check(isinstance(v, typ), f"{template(builder)}: {type(v).__name__} is not {typ}")
    check(page.odata_count is not None and page.odata_count >= len(page.value),
          f"{template(builder)}: @odata.count {page.odata_count}")
    count_qp = {"search": search} if search else {}
    n = await call(builder.count, **count_qp)
    check(n == page.odata_count, f"{template(builder)}/$count {n} != {page.odata_count}")
    item_id = want_id or page.value[0].id
    item_builder = getattr(builder, by_id)(item_id)
    item = await call(item_builder)
    check(isinstance(item, typ) and item.id == item_id,
          f"{template(item_builder)}: got {type(item).__name__} {getattr(item, 'id', None)}")
    return page, item_builder, item


async def suite(ti) -> list:
    """Yields (name, coroutine) pairs; each is one test."""
    tests = []

    def test(fn):
        tests.append(fn)
        return fn

    @test
    async def root_singleton():
        r = await call(ti, select=["id"])
        check(isinstance(r, threat_intelligence.ThreatIntelligence), type(r).__name__)

    @test
    async def articles_and_indicators():
        page, item_b, a = await listed(ti.articles, "by_article_id", article.Article,
                                       search="phishing")
        check(a.id == "2ef1fc72893b36da", a.id)
        check(isinstance(a.summary, formatted_content.FormattedContent), "summary")
        check(a.summary.format == content_format.ContentFormat.Text, str(a.summary.format))
        check(a.body.format == content_format.ContentFormat.Markdown, str(a.body.format))
        check(is_utc_datetime(a.created_date_time), repr(a.created_date_time))
        check(a.tags == ["phishing", "session-hijacking"], repr(a.tags))
        check(a.is_featured is False, "isFeatured")
        sel = await call(ti.articles.by_article_id("1a2b3c4d5e6f7081"), select=["title"])
        check(sel.title and sel.tags is None, "$select keeps only the named property")
        skip = await call(ti.articles, top=1, skip=1)
        check(len(skip.value) == 1 and skip.value[0].id != "zz", "$skip")
        ind_page, ind_b, ind = await listed(item_b.indicators, "by_article_indicator_id",
                                            article_indicator.ArticleIndicator)
        kinds = {type(i.artifact) for i in ind_page.value}
        check(kinds & {Hostname, IpAddress, unclassified_artifact.UnclassifiedArtifact},
              f"indicator artifacts {kinds}")
        check(ind.source in set(indicator_source.IndicatorSource), str(ind.source))
        all_page, root_b, root_ind = await listed(ti.article_indicators,
                                                  "by_article_indicator_id",
                                                  article_indicator.ArticleIndicator)
        types = {type(i.artifact).__name__ for i in all_page.value}
        check({"Hostname", "IpAddress", "UnclassifiedArtifact"} <= types, f"artifacts {types}")
        un = next(i for i in all_page.value
                  if isinstance(i.artifact, unclassified_artifact.UnclassifiedArtifact))
        check(un.artifact.kind and un.artifact.value, "unclassifiedArtifact kind/value")
        host_ind = next(i for i in all_page.value if isinstance(i.artifact, Hostname))
        art = await call(ti.article_indicators.by_article_indicator_id(host_ind.id).artifact)
        check(isinstance(art, Hostname) and art.id == host_ind.artifact.id, repr(art))
        await call(root_b.artifact, select=["id"])

    @test
    async def intel_profiles_and_indicators():
        page, item_b, p = await listed(ti.intel_profiles, "by_intelligence_profile_id",
                                       intelligence_profile.IntelligenceProfile,
                                       search="Velvet")
        titles = {x.title: x for x in page.value}
        check("Velvet Heron" in titles, f"search result {sorted(titles)}")
        item_b = ti.intel_profiles.by_intelligence_profile_id(titles["Velvet Heron"].id)
        p = await call(item_b)
        check(p.title == "Velvet Heron", p.title)
        check(p.kind == intelligence_profile_kind.IntelligenceProfileKind.Actor, str(p.kind))
        check(all(isinstance(c, str) for c in p.aliases), "aliases")
        ipage, ib, pi = await listed(item_b.indicators, "by_intelligence_profile_indicator_id",
                                     intelligence_profile_indicator.IntelligenceProfileIndicator)
        check(pi.first_seen_date_time is None or is_utc_datetime(pi.first_seen_date_time),
              "profile indicator firstSeen")
        rpage, rb, ri = await listed(ti.intelligence_profile_indicators,
                                     "by_intelligence_profile_indicator_id",
                                     intelligence_profile_indicator.IntelligenceProfileIndicator)
        art = await call(rb.artifact)
        check(type(art).__name__ in {"Hostname", "IpAddress", "UnclassifiedArtifact"},
              type(art).__name__)

    @test
    async def hosts_polymorphism():
        page = await call(ti.hosts, top=100, count=True, select=["id"])
        types = {type(h) for h in page.value}
        check(types == {Hostname, IpAddress}, f"host types {types}")
        check(await call(ti.hosts.count) == page.odata_count, "hosts/$count")
        ip = await call(ti.hosts.by_host_id("192.0.2.10"))
        check(isinstance(ip, IpAddress), type(ip).__name__)
        check(isinstance(ip.autonomous_system, autonomous_system.AutonomousSystem)
              and ip.autonomous_system.number == 64500, repr(ip.autonomous_system))
        check(ip.netblock == "192.0.2.0/24" and ip.country_or_region == "US", ip.netblock)
        check(is_utc_datetime(ip.first_seen_date_time), repr(ip.first_seen_date_time))
        hn = await call(ti.hosts.by_host_id("www.example.com"), select=["firstSeenDateTime"])
        check(isinstance(hn, Hostname) and hn.id == "www.example.com", repr(hn))
        h = await call(ti.hosts.by_host_id("example.com"))
        check(isinstance(h, Hostname) and h.registrar, f"registrar {h.registrar!r}")

    async def host_nav(host_id: str, nav: str, by_id: str, typ, **kw):
        hb = ti.hosts.by_host_id(host_id)
        return await listed(getattr(hb, nav), by_id, typ, **kw)

    @test
    async def host_passive_dns():
        page, _, rec = await host_nav("www.example.com", "passive_dns", "by_passive_dns_record_id",
                                      passive_dns_record.PassiveDnsRecord)
        a = next(r for r in page.value if r.record_type == "A")
        check(isinstance(a.artifact, IpAddress) and isinstance(a.parent_host, Hostname),
              f"{type(a.artifact).__name__}/{type(a.parent_host).__name__}")
        check(is_utc_datetime(a.last_seen_date_time), "lastSeen")
        rev, _, _ = await host_nav("198.51.100.7", "passive_dns_reverse",
                                   "by_passive_dns_record_id", passive_dns_record.PassiveDnsRecord)
        names = {r.artifact.id for r in rev.value if isinstance(r.artifact, Hostname)}
        check({"shop.example.net", "api.example.org"} <= names, f"reverse {names}")

    @test
    async def host_observations():
        await host_nav("www.example.com", "components", "by_host_component_id",
                       host_component.HostComponent)
        await host_nav("www.example.com", "cookies", "by_host_cookie_id", host_cookie.HostCookie)
        tp, _, t = await host_nav("www.example.com", "trackers", "by_host_tracker_id",
                                  host_tracker.HostTracker)
        check({x.kind for x in tp.value} >= {"GoogleAnalyticsID"}, "tracker kinds")
        await host_nav("example.com", "subdomains", "by_subdomain_id", subdomain.Subdomain)
        for nav in ("child_host_pairs", "parent_host_pairs", "host_pairs"):
            pp, _, pair = await host_nav("www.example.com", nav, "by_host_pair_id",
                                         host_pair.HostPair)
            check(isinstance(pair.parent_host, (Hostname, IpAddress)) and pair.link_kind,
                  f"{nav}: {pair.link_kind}")
        sp, _, hs = await host_nav("www.example.com", "ssl_certificates",
                                   "by_host_ssl_certificate_id",
                                   host_ssl_certificate.HostSslCertificate)
        check(isinstance(hs.ssl_certificate, ssl_certificate.SslCertificate)
              and hs.ssl_certificate.sha1, "inline sslCertificate")
        check(hs.ports and hs.ports[0].port in (443, 8443), "ssl ports")

    @test
    async def host_ports_enums_and_expand():
        pp, pb, port = await host_nav("192.0.2.10", "ports", "by_host_port_id", host_port.HostPort)
        p443 = next(p for p in pp.value if p.port == 443)
        check(p443.protocol == host_port_protocol.HostPortProtocol.Tcp, str(p443.protocol))
        check(p443.status == host_port_status.HostPortStatus.Open, str(p443.status))
        check(all(isinstance(b, host_port_banner.HostPortBanner) for b in p443.banners), "banners")
        svc = p443.services[0]
        check(isinstance(svc, host_port_component.HostPortComponent)
              and isinstance(svc.component, host_component.HostComponent)
              and isinstance(svc.component.host, IpAddress), "services component")
        udp = [p for p in pp.value if p.protocol == host_port_protocol.HostPortProtocol.Udp]
        check(udp and udp[0].status == host_port_status.HostPortStatus.Filtered, "udp filtered")
        full = await call(ti.hosts.by_host_id("192.0.2.10").ports, top=10,
                          expand=["mostRecentSslCertificate"])
        certs = [p.most_recent_ssl_certificate for p in full.value if p.most_recent_ssl_certificate]
        check(certs and certs[0].sha1, "expanded mostRecentSslCertificate")

    @test
    async def host_reputation_and_whois():
        rep = await call(ti.hosts.by_host_id("www.example.com").reputation)
        check(isinstance(rep, host_reputation.HostReputation), type(rep).__name__)
        check(rep.classification in set(host_reputation_classification.HostReputationClassification),
              str(rep.classification))
        check(all(isinstance(r, host_reputation_rule.HostReputationRule) for r in rep.rules), "rules")
        w = await call(ti.hosts.by_host_id("example.com").whois)
        check(isinstance(w, whois_record.WhoisRecord), type(w).__name__)
        check(isinstance(w.registrant, whois_contact.WhoisContact)
              and isinstance(w.registrant.address, PhysicalAddress)
              and w.registrant.address.country_or_region == "US", "registrant address")
        check(all(isinstance(n, whois_nameserver.WhoisNameserver) and isinstance(n.host, Hostname)
                  for n in w.nameservers), "nameservers")
        check(is_utc_datetime(w.registration_date_time), "registrationDateTime")

    @test
    async def root_host_collections():
        for attr, by_id, typ, navs in [
            ("host_components", "by_host_component_id", host_component.HostComponent, ["host"]),
            ("host_cookies", "by_host_cookie_id", host_cookie.HostCookie, ["host"]),
            ("host_trackers", "by_host_tracker_id", host_tracker.HostTracker, ["host"]),
            ("host_pairs", "by_host_pair_id", host_pair.HostPair, ["parent_host", "child_host"]),
            ("host_ports", "by_host_port_id", host_port.HostPort,
             ["host", "most_recent_ssl_certificate"]),
            ("host_ssl_certificates", "by_host_ssl_certificate_id",
             host_ssl_certificate.HostSslCertificate, ["host", "ssl_certificate"]),
            ("passive_dns_records", "by_passive_dns_record_id",
             passive_dns_record.PassiveDnsRecord, ["parent_host", "artifact"]),
            ("subdomains", "by_subdomain_id", subdomain.Subdomain, ["host"]),
        ]:
            page, ib, item = await listed(getattr(ti, attr), by_id, typ)
            for nav in navs:
                # pick an item whose navigation is populated
                target = None
                for cand in page.value:
                    try:
                        target = await call(getattr(getattr(getattr(ti, attr), by_id)(cand.id), nav))
                        break
                    except ODataError as e:
                        if e.response_status_code != 404:
                            raise
                check(target is not None and target.id, f"{attr}/{nav}")
                if nav in ("host", "parent_host", "child_host"):
                    check(isinstance(target, (Hostname, IpAddress)), f"{attr}/{nav}: {target!r}")
                if nav in ("ssl_certificate", "most_recent_ssl_certificate"):
                    check(isinstance(target, ssl_certificate.SslCertificate), f"{attr}/{nav}")

    @test
    async def ssl_certificates():
        page, cb, cert = await listed(ti.ssl_certificates, "by_ssl_certificate_id",
                                      ssl_certificate.SslCertificate,
                                      search='"subject/commonName:www.example.com"')
        check(isinstance(cert.subject, ssl_certificate_entity.SslCertificateEntity)
              and "example.com" in cert.subject.alternate_names, "subject alternateNames")
        check(isinstance(cert.subject.address, PhysicalAddress), "subject address")
        check(is_utc_datetime(cert.expiration_date_time), "expirationDateTime")
        by_sha = await call(ti.ssl_certificates, search=f'"sha1:{cert.sha1}"', count=True)
        check(by_sha.odata_count == 1 and by_sha.value[0].id == cert.id, "sha1 search")
        hp, hb, h = await listed(cb.related_hosts, "by_host_id", (Hostname, IpAddress))
        ids = {x.id for x in hp.value}
        check({"www.example.com", "example.com"} <= ids, f"related hosts {ids}")

    @test
    async def vulnerabilities():
        page, vb, v = await listed(ti.vulnerabilities, "by_vulnerability_id",
                                   vulnerability.Vulnerability, want_id="CVE-2021-44228")
        check(v.severity == vulnerability_severity.VulnerabilitySeverity.Critical, str(v.severity))
        check(isinstance(v.cvss3_summary, cvss_summary.CvssSummary)
              and v.cvss3_summary.score == 10.0, repr(v.cvss3_summary))
        check(all(isinstance(x, hyperlink.Hyperlink) for x in v.references) and v.references,
              "references")
        check(v.exploits_available is True and is_utc_datetime(v.published_date_time), "flags")
        lower = await call(ti.vulnerabilities.by_vulnerability_id("cve-2021-44228"))
        check(lower.id == "CVE-2021-44228", "case-insensitive key")
        await listed(vb.components, "by_vulnerability_component_id",
                     vulnerability_component.VulnerabilityComponent)
        ap, _, a = await listed(vb.articles, "by_article_id", article.Article)
        check(a.id == "1a2b3c4d5e6f7081", a.id)

    @test
    async def whois_records_and_history():
        page, wb, w = await listed(ti.whois_records, "by_whois_record_id", whois_record.WhoisRecord,
                                   search='"registrant/organization:Example Group Ltd"')
        host = await call(wb.host)
        check(isinstance(host, Hostname), type(host).__name__)
        hp, hb, hist = await listed(ti.whois_records.by_whois_record_id(
            next(r.id for r in (await call(ti.whois_records, top=10)).value
                 if r.host and r.host.id == "example.com")).history,
            "by_whois_history_record_id", whois_history_record.WhoisHistoryRecord)
        check(hp.odata_count == 2, f"example.com history rows {hp.odata_count}")
        rp, rb, r = await listed(ti.whois_history_records, "by_whois_history_record_id",
                                 whois_history_record.WhoisHistoryRecord)
        check(isinstance(await call(rb.host), Hostname), "history host")

    @test
    async def odata_filter_orderby_expand():
        pdns = ti.hosts.by_host_id("www.example.com").passive_dns
        page = await call(pdns, filter="recordType eq 'A'", orderby=["lastSeenDateTime desc"],
                          select=["id", "recordType"], count=True)
        check(page.value and all(r.record_type == "A" for r in page.value), "$filter recordType")
        check(await call(pdns.count, filter="recordType eq 'A'") == page.odata_count,
              "$count with $filter")
        pairs = await call(ti.hosts.by_host_id("example.com").child_host_pairs,
                           filter="linkKind eq 'redirect'")
        check(pairs.value and all(p.link_kind == "redirect" for p in pairs.value), "hostPair filter")
        profiles = await call(ti.intel_profiles, orderby=["title desc"], select=["title"])
        titles = [p.title for p in profiles.value]
        check(titles == sorted(titles, reverse=True), f"$orderby title desc: {titles}")
        ports = await call(ti.hosts.by_host_id("192.0.2.10").ports, filter="port eq 443",
                           expand=["mostRecentSslCertificate($select=sha1)"])
        cert = ports.value[0].most_recent_ssl_certificate
        check(isinstance(cert, ssl_certificate.SslCertificate) and cert.sha1, "nested $expand")
        one = await call(ti.host_ports.by_host_port_id(ports.value[0].id),
                         expand=["mostRecentSslCertificate"], select=["port"])
        check(one.port == 443 and one.most_recent_ssl_certificate.sha1, "item $expand + $select")

    @test
    async def errors_are_odata_errors():
        try:
            await call(ti.hosts.by_host_id("no-such-host.example"))
        except ODataError as e:
            check(e.response_status_code == 404 and e.error.code == "ResourceNotFound",
                  f"{e.response_status_code} {e.error.code if e.error else None}")
        else:
            raise AssertionError("expected 404")

    return tests


def sdk_templates() -> set[str]:
    """URL templates of every request builder the installed SDK has under threatIntelligence."""
    root = Path(msgraph.__file__).parent / "generated" / "security" / "threat_intelligence"
    out = set()
    for f in root.rglob("*_request_builder.py"):
        m = re.search(r'"\{\+baseurl\}(/security/threatIntelligence[^"{]*(?:\{[^?][^}]*\}[^"{]*)*)',
                      f.read_text())
        if m and "async def get(" in f.read_text():
            out.add(m.group(1))
    return out


async def main() -> int:
    with harness.server() as (base, token):
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token)))
        adapter.base_url = f"{base}/v1.0"
        client = GraphServiceClient(request_adapter=adapter)
        ti = client.security.threat_intelligence
        for t in await suite(ti):
            try:
                await t()
                RESULTS["passed"] += 1
                print(f"ok   {t.__name__}")
            except (AssertionError, APIError, Exception):  # noqa: BLE001 - report every failure
                RESULTS["failed"] += 1
                print(f"FAIL {t.__name__}")
                traceback.print_exc()
    expected = sdk_templates()
    missing = sorted(expected - CALLED)
    print(f"request builders: {len(expected)} in the SDK, {len(expected & CALLED)} called")
    if len(expected) != 121 or missing:
        RESULTS["failed"] += 1
        print("FAIL coverage: not called:\n  " + "\n  ".join(missing))
    else:
        RESULTS["passed"] += 1
        print("ok   coverage: every GET request builder was called")
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
