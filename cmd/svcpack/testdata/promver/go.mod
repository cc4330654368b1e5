module example.com/promver

go 1.26

require github.com/prometheus/common v0.70.1
