/* The public header compiles on its own, first, with no other include. */
#include <wescale.h>

int main(void)
{
	return wescale_version() != NULL && WESCALE_CONSISTENCY_SESSION == 1 ? 0 : 1;
}
