package windows

import "testing"

// TestLogFolderSDDL: the log folder's descriptor per service account; the
// virtual account's SID as Windows derives it.
func TestLogFolderSDDL(t *testing.T) {
	for _, tc := range []struct{ account, want string }{
		{"LocalSystem", ""},
		{"LocalService", "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;OICI;0x1301bf;;;LS)"},
		{"NetworkService", "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;OICI;0x1301bf;;;NS)"},
		{`NT SERVICE\TrustedInstaller`, "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;OICI;0x1301bf;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)"},
	} {
		if got := LogFolderSDDL(tc.account, "TrustedInstaller"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.account, got, tc.want)
		}
	}
}
