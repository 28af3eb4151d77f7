import Ledger
print("hi")
