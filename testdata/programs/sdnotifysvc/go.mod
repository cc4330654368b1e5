module example.com/sdnotifysvc

go 1.26

require github.com/coreos/go-systemd/v22 v22.7.0

require golang.org/x/sys v0.1.0 // indirect
