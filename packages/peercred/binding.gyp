{
  "targets": [
    {
      "target_name": "peercred",
      "sources": ["src/peercred.c"],
      "cflags": ["-Wall", "-Wextra"]
    }
  ]
}
