/*
 * privs.c — giving up root once the capture is open.
 *
 * Opening an interface needs root (or CAP_NET_RAW and CAP_NET_ADMIN);
 * narrating what it delivers does not. So, as tcpdump does, tcpnarrate opens
 * the device, sets the filter and opens the -w file, then becomes an
 * ordinary user (-Z USER, else "nobody") with no supplementary groups and no
 * capabilities, and asks the kernel never to grant it new privileges.
 */
#define _DEFAULT_SOURCE
#include "cli.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int clear_capabilities(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	return (int)syscall(SYS_capset, &hdr, data);
}

int tn_cli_drop_privileges(const char *user, char *err, size_t errlen)
{
	if (getuid() == 0 || geteuid() == 0) {
		const char *name = user ? user : TN_DEFAULT_USER;
		struct passwd *pw = getpwnam(name);
		if (!pw) {
			snprintf(err, errlen, "no user '%s' to drop root privileges to%s", name,
				 user ? "" : " (name one with -Z USER)");
			return -1;
		}
		if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
			snprintf(err, errlen, "cannot become user '%s': %s", name, strerror(errno));
			return -1;
		}
		if (pw->pw_uid != 0 && setuid(0) == 0) {
			snprintf(err, errlen, "dropped to user '%s' but could become root again", name);
			return -1;
		}
	}
	/* With file capabilities (setcap) and no root, the capabilities go here. */
	if (clear_capabilities() < 0) {
		snprintf(err, errlen, "cannot give up capabilities: %s", strerror(errno));
		return -1;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}
