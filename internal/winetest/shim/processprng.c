/* bcryptprimitives.dll stand-in for Wine 8.0, which lacks ProcessPrng: Go >= 1.22
   Windows programs call it for randomness. It forwards to RtlGenRandom
   (SystemFunction036 in advapi32). Compiled by winetest.New with mingw-w64. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n)) return FALSE;
		data += n; len -= n;
	}
	return TRUE;
}
