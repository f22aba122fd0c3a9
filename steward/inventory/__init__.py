"""The inventory (資料資產盤點表) of every data asset and its classification."""
