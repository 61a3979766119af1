"""The on-chip backpropagation circuit (nBP) of Renner, Sheldon, Zlotnik, Tao & Sornborger."""
