from weave.cli import main

main()
