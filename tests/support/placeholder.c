/* SPDX-License-Identifier: MIT */
/* Placeholder so that the support library is never empty. */
int wsc_test_support_placeholder(void);
int
wsc_test_support_placeholder(void)
{
    return 0;
}
