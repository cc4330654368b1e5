module example.com/kardianossvc

go 1.26

require github.com/kardianos/service v1.3.0

require golang.org/x/sys v0.34.0 // indirect
