/*
 * ProcessPrng, the one function of Windows' bcryptprimitives.dll that Rust's
 * std (1.78 and later) imports on Windows, for wine versions that lack that
 * DLL (Debian 12's wine 8.0): without it no Rust program for Windows starts
 * ("Library bcryptprimitives.dll ... not found", status c0000135).
 * .ci/cross/wine-prefix.sh builds it with MinGW-w64 into the wine prefix's
 * system32, only when wine has no bcryptprimitives.dll of its own.
 *
 * Its random bytes come from RtlGenRandom (advapi32's SystemFunction036),
 * which wine implements with the host's random source.
 */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

__declspec(dllexport) BOOL WINAPI
ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG) len;
		if (!RtlGenRandom(data, n)) {
			return FALSE;
		}
		data += n;
		len -= n;
	}
	return TRUE;
}
