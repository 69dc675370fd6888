from povcensus.cli import main

main()
