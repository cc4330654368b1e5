module example.com/stamps

go 1.26
