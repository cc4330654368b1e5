module example.com/stamps

go 1.26

require example.com/common v0.0.0

replace example.com/common => ./common
