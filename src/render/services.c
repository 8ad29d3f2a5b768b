/*
 * services.c — names of well-known TCP ports, from a built-in table.
 *
 * No /etc/services and no DNS: output must not depend on the machine that
 * reads the capture. Names follow IANA's Service Name registry.
 *
 * The table is kept in ascending port order: a segment's breakdown looks its
 * ports up several times, by binary search.
 */
#include <tcpnarrate/render.h>

static const struct service {
	uint16_t port;
	const char *name;
} services[] = {
	{ 7, "echo" }, { 9, "discard" }, { 13, "daytime" }, { 20, "ftp-data" },
	{ 21, "ftp" }, { 22, "ssh" }, { 23, "telnet" }, { 25, "smtp" }, { 43, "whois" },
	{ 53, "domain" }, { 70, "gopher" }, { 79, "finger" }, { 80, "http" },
	{ 88, "kerberos" }, { 110, "pop3" }, { 111, "sunrpc" }, { 113, "ident" },
	{ 119, "nntp" }, { 135, "epmap" }, { 139, "netbios-ssn" }, { 143, "imap" },
	{ 179, "bgp" }, { 389, "ldap" }, { 443, "https" }, { 445, "microsoft-ds" },
	{ 465, "submissions" }, { 513, "login" }, { 514, "shell" }, { 515, "printer" },
	{ 554, "rtsp" }, { 587, "submission" }, { 631, "ipp" }, { 636, "ldaps" },
	{ 646, "ldp" }, { 853, "domain-s" }, { 873, "rsync" }, { 989, "ftps-data" },
	{ 990, "ftps" }, { 993, "imaps" }, { 995, "pop3s" }, { 1080, "socks" },
	{ 1433, "ms-sql-s" }, { 1723, "pptp" }, { 1883, "mqtt" },
	{ 2049, "nfs" }, { 2379, "etcd-client" },
	{ 3260, "iscsi-target" }, { 3306, "mysql" }, { 3389, "ms-wbt-server" },
	{ 4369, "epmd" }, { 5060, "sip" }, { 5061, "sips" }, { 5222, "xmpp-client" },
	{ 5269, "xmpp-server" }, { 5432, "postgresql" }, { 5672, "amqp" }, { 5900, "rfb" },
	{ 6379, "redis" }, { 6667, "ircu" }, { 8008, "http-alt" },
	{ 8080, "http-alt" },
	{ 11211, "memcache" }, { 27017, "mongodb" },
	{ 0, NULL },
};

const char *tn_service_name(uint16_t port)
{
	size_t lo = 0, hi = sizeof services / sizeof services[0] - 1; /* the sentinel left out */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (services[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sizeof services / sizeof services[0] - 1 && services[lo].port == port ?
	       services[lo].name : NULL;
}
