/* restrict: the nick of a restricted session from the key sshd says was
 * used ($SSH_USER_AUTH) and its comment in the account's authorized_keys. */
#include "check_tui.h"

#include <string.h>

#include "cmd.h"
#include "restrict.h"

static const char keys[] =
    "# the class of 2026\n"
    "restrict,pty ssh-ed25519 AAAAC3alice alice@laptop\n"
    "ssh-ed25519 AAAAC3bob bob\n"
    "restrict,pty,command=\"x y\" ssh-rsa AAAAB3carol   carol_2 the second key\n"
    "ssh-ed25519 AAAAC3nocomment\n"
    "ssh-ed25519 AAAAC3bad no/slashes\n"
    "ssh-ed25519 AAAAC3long abcdefghijklmnopqrstuvwxyz\n"
    "ssh-ed25519 AAAAC3at @host\n"
    "ssh-ed25519 AAAAC3dave\tdave";

static const struct {
    const char *auth; /* the $SSH_USER_AUTH file */
    const char *nick; /* NULL: none, the prompt asks */
} cases[] = {
    {"publickey ssh-ed25519 AAAAC3alice\n", "alice"},
    {"publickey ssh-ed25519 AAAAC3bob\n", "bob"},
    {"publickey ssh-rsa AAAAB3carol\n", "carol_2"},
    {"publickey ssh-ed25519 AAAAC3dave", "dave"},
    /* A second method after the key, as with AuthenticationMethods. */
    {"publickey ssh-ed25519 AAAAC3bob\npassword\n", "bob"},
    {"password\n", NULL},
    {"", NULL},
    /* The blob must match under the same type, whole. */
    {"publickey ssh-rsa AAAAC3alice\n", NULL},
    {"publickey ssh-ed25519 AAAAC3ali\n", NULL},
    {"publickey ssh-ed25519 AAAAC3unknown\n", NULL},
    /* A comment that is no nick. */
    {"publickey ssh-ed25519 AAAAC3nocomment\n", NULL},
    {"publickey ssh-ed25519 AAAAC3bad\n", NULL},
    {"publickey ssh-ed25519 AAAAC3long\n", NULL},
    {"publickey ssh-ed25519 AAAAC3at\n", NULL},
    /* A key only in a comment line does not count. */
    {"publickey the class\n", NULL},
    {"keyboard-interactive ssh-ed25519 AAAAC3alice\n", NULL},
};

START_TEST(test_nick_from_keys)
{
    char nick[NICK_MAX + 1] = "untouched";
    bool found = restrict_nick_from_keys(cases[_i].auth, keys, nick, sizeof(nick));
    if (cases[_i].nick) {
        ck_assert_msg(found, "case %d: no nick", _i);
        ck_assert_str_eq(nick, cases[_i].nick);
    } else {
        ck_assert_msg(!found, "case %d: nick %s", _i, nick);
    }
}
END_TEST

START_TEST(test_typed_nick)
{
    ck_assert(restrict_nick_ok("alice"));
    ck_assert(restrict_nick_ok("Bob_2"));
    ck_assert(!restrict_nick_ok(""));
    ck_assert(!restrict_nick_ok("two words"));
    ck_assert(!restrict_nick_ok("_x"));
    ck_assert(!restrict_nick_ok("abcdefghijklmnopqrstuvwxyz"));
    ck_assert(!restrict_nick_ok("\x1b[2J"));
}
END_TEST

Suite *restrict_suite(void)
{
    Suite *s = suite_create("restrict");
    TCase *core = tcase_create("restrict-core");
    tcase_add_loop_test(core, test_nick_from_keys, 0, (int)(sizeof(cases) / sizeof(*cases)));
    tcase_add_test(core, test_typed_nick);
    suite_add_tcase(s, core);
    return s;
}
